"""The escalation tick: every 30 s, each open graded incident in its own transaction
(the steps themselves: `bot.incidents.escalation`)."""
import logging
from dataclasses import dataclass

from sqlalchemy import select

from bot.incidents.escalation import escalate_incident
from bot.models import Incident
from bot.runtime import Runtime
from bot.state import OPEN_STATES

log = logging.getLogger(__name__)


@dataclass
class EscalateReport:
    fired: int = 0
    skipped: int = 0


def run_escalations(rt: Runtime) -> EscalateReport:
    """Fire every escalation step that is due now; each incident in its own transaction."""
    report, now = EscalateReport(), rt.clock.now()
    with rt.sessions() as session:
        ids = session.scalars(select(Incident.id).where(Incident.state.in_(OPEN_STATES), Incident.grade.is_not(None))
                              .order_by(Incident.id)).all()
    for incident_id in ids:
        with rt.sessions() as session, session.begin():
            fired, skipped = escalate_incident(session, rt.config, incident_id, now)
        report.fired += fired
        report.skipped += skipped
    if report.fired:
        log.info("fired %d escalation step(s)", report.fired)
    return report
