"""Who is on call now: the one answer every mention, escalation and `/oncall` uses.

The rota (`response.rota`) decides; with an empty rota the fixed lists `alerting.on_call` / `alerting.leads`
stand in (the first listed is primary, the second backup). Leads come from the rota, else `alerting.leads`.
"""
from datetime import datetime

from bot.config import Config
from bot.rota import Member, OnCall, next_shift, on_call_at

__all__ = ["Member", "OnCall", "current", "leads", "next_shift", "on_call"]


def current(config: Config, now: datetime) -> OnCall:
    """Primary, backup and leads at `now`, with names from the team."""
    resp, team = config.response, config.team
    fixed, fixed_leads = list(config.alerting.on_call), list(config.alerting.leads)
    oc = on_call_at(resp.rota, now, resp.tz, tuple(fixed_leads))
    named = tuple(Member(m.open_id, team.name_of(m.open_id)) if m.name == m.open_id else m for m in oc.leads)
    if oc.primary is None and fixed:
        people = [Member(oid, team.name_of(oid)) for oid in fixed]
        return OnCall(people[0], people[1] if len(people) > 1 else oc.backup, named, None)
    return OnCall(oc.primary, oc.backup, named, oc.until)


def on_call(config: Config, now: datetime) -> list[str]:
    """The open_ids @-mentioned as on call: the rota's primary, or every member of `alerting.on_call`."""
    rota = config.response.rota
    if rota.members or rota.overrides:
        return current(config, now).open_ids
    return list(config.alerting.on_call)


def leads(config: Config, now: datetime) -> list[str]:
    """The open_ids of the leads, @-mentioned on 重大 alerts."""
    return [m.open_id for m in current(config, now).leads]
