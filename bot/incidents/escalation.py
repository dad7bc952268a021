"""Escalation of missed response deadlines: fire the steps now due for one incident.

`bot.incidents.deadlines.due_escalations` decides from stored times. Each step is fired in one transaction:
the Escalation row (unique per incident and step), the timeline row and the thread replies that @ the
target — and, for a 重大 incident nobody acknowledged, Feishu's urgent notification (加急) per
`response.escalation.urgent`. A racing worker's insert fails inside a savepoint and it skips the step; on
PostgreSQL the incident row is locked too, so an acknowledgement committed meanwhile is seen first.

The tick reads only incidents whose `escalate_at` has come (an index range; `bot.models.due` sets it back to
"look now" on every write that may change the decision) and stores the exact time of each one's next step, so a
quiet tick costs one query whatever the number of open incidents.
"""
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from bot.alerting.kinds import Outbound
from bot.alerting.pipeline import Outgoing, card_chats, muting, submit
from bot.alerting.routing import incident_chats
from bot.config import Config
from bot.grades import Grade
from bot.incidents.once import fire_once
from bot.incidents.deadlines import (IncidentSnapshot, Kind, Policy, Step, deadlines_for, due_escalations,
                                     load_snapshot, next_escalation_at, policy_of)
from bot.incidents.queries import RESPONSE_FIELDS
from bot.models import Escalation, Incident, IncidentEvent
from bot.models.due import store_due
from bot.oncall import current
from bot.state import OPEN_STATES

log = logging.getLogger(__name__)

URGENT_LABELS = {"app": "应用内加急", "sms": "短信加急", "phone": "电话加急"}


def escalate_incident(session: Session, config: Config, incident_id: int, now: datetime) -> tuple[int, int]:
    """Fire the due steps of one incident under its row lock and store when its next step falls due; returns
    (fired, skipped as already fired)."""
    inc = session.get(Incident, incident_id, with_for_update=True)
    if inc is None:
        return 0, 0
    done = set(session.scalars(select(Escalation.step).where(Escalation.incident_id == incident_id)))
    decision = decide(config, inc, load_snapshot(session, inc), done, now)
    fired = sum(fire_step(session, config, inc, step, now) for step in decision.steps)
    store_due(session, "escalate_at", {inc.id: decision.next_at})
    return fired, len(decision.steps) - fired


@dataclass(frozen=True)
class Decision:
    steps: list[Step]          # due now and not fired yet
    next_at: datetime | None   # when the next step falls due once these are fired


def decide(config: Config, inc: Incident | Row, snap: IncidentSnapshot, done: set[str], now: datetime,
           fallback: Policy | None = None) -> Decision:
    """The incident's escalation steps due now and not fired yet (`done`: the keys fired), and the next time
    (`inc`: the incident, or its `RESPONSE_FIELDS` row; `fallback`: the config's policy, made once by a caller
    deciding for many)."""
    if inc.state not in OPEN_STATES:
        return Decision([], None)
    policy = policy_of(inc.policy, fallback or config)
    deadlines = deadlines_for(snap, policy)
    steps = due_escalations(snap, deadlines, done, current(config, now), now, policy)
    return Decision(steps, next_escalation_at(snap, deadlines, done | {s.key for s in steps}, policy))


def escalations_due(session: Session, now: datetime) -> bool:
    """Whether any incident's escalation time has come (one index lookup): a quiet tick stops here."""
    return session.scalar(select(Incident.id).where(Incident.escalate_at <= now).limit(1)) is not None


def with_steps_due(session: Session, config: Config, now: datetime) -> list[int]:
    """The incidents whose escalation time has come, decided again under their row locks in a constant number of
    queries: those with nothing due get their exact next time stored; those with a step due are returned, each
    to be fired in its own transaction (which stores their next time)."""
    # plain rows of what the decision reads (the policy as text, graded_at with the row), not whole incidents: after
    # a start every open incident is looked at
    incidents = session.execute(select(*RESPONSE_FIELDS).where(Incident.escalate_at <= now)
                                .order_by(Incident.escalate_at, Incident.id).with_for_update(of=Incident)).all()
    done = fired_steps(session, [inc.id for inc in incidents])
    due, times, fallback = [], {}, Policy.from_config(config)
    for inc in incidents:
        decision = decide(config, inc, IncidentSnapshot.of(inc, inc.graded_at), done.get(inc.id, set()), now,
                          fallback)
        if decision.steps:
            due.append(inc.id)
        else:
            times[inc.id] = decision.next_at
    store_due(session, "escalate_at", times)
    return due


def fired_steps(session: Session, ids: list[int]) -> dict[int, set[str]]:
    """The step keys fired for each of these incidents (one query per thousand)."""
    done: dict[int, set[str]] = {}
    for start in range(0, len(ids), 1000):  # bounded IN lists
        for incident_id, step in session.execute(select(Escalation.incident_id, Escalation.step).where(
                Escalation.incident_id.in_(ids[start:start + 1000]))):
            done.setdefault(incident_id, set()).add(step)
    return done


def fire_step(session: Session, config: Config, inc: Incident, step: Step, now: datetime) -> bool:
    """Record one step, its timeline row and its thread replies; False if it had been fired already."""
    if not fire_once(session, inc.id, step.key, now):
        return False  # another worker fired it: its transaction holds the timeline row and the replies
    silence = muting(session, inc, now)  # a silenced step is fired (so it never fires late) but not sent
    session.add(IncidentEvent(incident_id=inc.id, at=now, kind="escalated", via="system",
                              text=step.text + (f"（屏蔽 #{silence.id} 生效中，未发送）" if silence else ""),
                              detail={"step": step.key, "deadline": step.kind.value, "number": step.number,
                                      "targets": list(step.targets), "held_by": silence.id if silence else None}))
    chats = tuple(card_chats(session, inc.id))
    standalone = not chats  # no card to reply under: a message of its own in the routed chats
    out = Outgoing(Outbound.ESCALATION, inc, chats=chats or incident_chats(config, inc),
                   text=step.text, mentions=step.targets, key=(step.key,), meta={"standalone": standalone})
    rows = submit(session, config, out, now)
    how = urgent_for(config, inc, step)
    if how and rows and step.targets:
        label = URGENT_LABELS[how]
        first = rows[0]  # one urgent notification per person, on the first chat's message
        assert first.chat_id is not None
        submit(session, config, Outgoing(Outbound.URGENT, inc, chats=(first.chat_id,), key=(step.key,),
                                         meta={"message_key": first.uuid, "open_ids": list(step.targets),
                                               "how": how}), now)
        session.add(IncidentEvent(incident_id=inc.id, at=now, kind="urgent", via="system",
                                  text=f"{label}：{step.text.split('，')[0]}",
                                  detail={"step": step.key, "how": how, "targets": list(step.targets)}))
    return True


def urgent_for(config: Config, inc: Incident, step: Step) -> str | None:
    """The urgent notification this step uses: only for a 重大 incident's missed acknowledgement."""
    if step.kind is not Kind.ACK or inc.grade != Grade.MAJOR or inc.acknowledged_at is not None:
        return None
    kinds = config.response.escalation.urgent
    how = kinds[step.number - 1] if step.number <= len(kinds) else "none"
    return None if how == "none" else how
