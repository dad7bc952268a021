"""The escalation tick: every 30 s, the open graded incidents with a step due (found in a few set-based reads),
each in its own transaction (the steps themselves: `bot.incidents.escalation`)."""
import logging
from dataclasses import dataclass

from bot.incidents.escalation import escalate_incident, with_steps_due
from bot.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass
class EscalateReport:
    fired: int = 0
    skipped: int = 0


def run_escalations(rt: Runtime) -> EscalateReport:
    """Fire every escalation step that is due now; each incident in its own transaction."""
    report, now = EscalateReport(), rt.clock.now()
    with rt.sessions() as session:
        ids = with_steps_due(session, rt.config, now)
    for incident_id in ids:  # each decided again under its row lock: an acknowledgement may have come meanwhile
        with rt.sessions() as session, session.begin():
            fired, skipped = escalate_incident(session, rt.config, incident_id, now)
        report.fired += fired
        report.skipped += skipped
    if report.fired:
        log.info("fired %d escalation step(s)", report.fired)
    return report
