"""The escalation tick: every 30 s, the incidents whose escalation time has come (an index lookup), decided again
in one transaction, then those with a step due fired each in its own (the steps themselves:
`bot.incidents.escalation`)."""
import logging
from dataclasses import dataclass

from bot.incidents.escalation import escalate_incident, escalations_due, with_steps_due
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
        if not escalations_due(session, now):
            return report  # one indexed read, whatever the number of open incidents
    with rt.sessions() as session, session.begin():
        ids = with_steps_due(session, rt.config, now)
    for incident_id in ids:  # each decided again under its row lock: an acknowledgement may have come meanwhile
        with rt.sessions() as session, session.begin():
            fired, skipped = escalate_incident(session, rt.config, incident_id, now)
        report.fired += fired
        report.skipped += skipped
    if report.fired:
        log.info("fired %d escalation step(s)", report.fired)
    return report
