"""The reminder tick: the incidents whose reminder time has come (the decision: `bot.alerting.reminders`)."""
import logging
from dataclasses import dataclass

from bot.alerting.reminders import remind_all, reminders_due
from bot.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass
class RemindReport:
    reminded: int = 0


def remind_due(rt: Runtime) -> RemindReport:
    """Queue a thread reminder for each unacknowledged incident whose repeat interval has passed."""
    report, now = RemindReport(), rt.clock.now()
    with rt.sessions() as session:
        if not reminders_due(session, now):
            return report  # one indexed read, whatever the number of open incidents
    with rt.sessions() as session, session.begin():
        report.reminded = remind_all(session, rt.config, now)
    if report.reminded:
        log.info("queued %d reminder(s) for unacknowledged incidents", report.reminded)
    return report
