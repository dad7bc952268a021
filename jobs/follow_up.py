"""The follow-up tick (持续监控), every 5 minutes: each open incident, and each resolved one still watched,
in its own transaction (the decisions: `bot.incidents.follow_up`)."""
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select

from bot.incidents.actions import IncidentActions
from bot.incidents.drills import real_only
from bot.incidents.follow_up import follow_up_incident
from bot.models import Incident
from bot.runtime import Runtime
from bot.state import OPEN_STATES, State

log = logging.getLogger(__name__)


@dataclass
class FollowUpReport:
    updates: int = 0
    reopened: int = 0


def run_follow_ups(rt: Runtime) -> FollowUpReport:
    """Post the due updates and reopen resurging incidents; each incident in its own transaction."""
    cfg, now, report = rt.config.response.follow_up, rt.clock.now(), FollowUpReport()
    if not cfg.enabled:
        return report
    watched_since = now - timedelta(hours=cfg.after_resolve_hours)
    with rt.sessions() as session:
        ids = session.scalars(real_only(select(Incident.id).where(or_(
            Incident.state.in_(OPEN_STATES),
            (Incident.state == State.RESOLVED) & (Incident.resolved_at >= watched_since)
        ))).order_by(Incident.id)).all()
    actions = IncidentActions(rt.config)
    for incident_id in ids:
        with rt.sessions() as session, session.begin():
            updated, reopened = follow_up_incident(session, rt.config, actions, incident_id, now)
        report.updates += updated
        report.reopened += reopened
    if report.updates or report.reopened:
        log.info("follow-up: %d update(s), %d reopened on resurgence", report.updates, report.reopened)
    return report
