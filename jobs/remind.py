"""The reminder tick: each unacknowledged incident with a card (the decision: `bot.alerting.reminders`)."""
import logging
from dataclasses import dataclass

from sqlalchemy import select

from bot.alerting.reminders import remind
from bot.models import Incident, IncidentMessage
from bot.runtime import Runtime
from bot.state import State

log = logging.getLogger(__name__)


@dataclass
class RemindReport:
    reminded: int = 0


def remind_due(rt: Runtime) -> RemindReport:
    """Queue a thread reminder for each unacknowledged incident whose repeat interval has passed."""
    report, now = RemindReport(), rt.clock.now()
    with rt.sessions() as session, session.begin():
        incidents = session.scalars(select(Incident).where(
            Incident.state == State.TRIGGERED.value,
            Incident.id.in_(select(IncidentMessage.incident_id)))).all()
        for inc in incidents:
            report.reminded += remind(session, rt.config, inc, now)
    if report.reminded:
        log.info("queued %d reminder(s) for unacknowledged incidents", report.reminded)
    return report
