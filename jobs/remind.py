"""Reminders for unacknowledged incidents: a reply in the card's thread every `alerting.repeat_interval`.

`policy.reminder_reason` decides from stored times; the delivery key carries the reminder's number, so two
workers (or a rerun) queue each reminder once.
"""
import logging
from dataclasses import dataclass

from sqlalchemy import select

from bot.alerting import outbox, queries
from bot.alerting.notices import thread_notice
from bot.alerting.policy import NotifyReason, Timing, reminder_number, reminder_reason
from bot.alerting.routing import mentions_for
from bot.incidents.state import State
from bot.models import Incident, IncidentMessage
from bot.oncall import leads, on_call
from bot.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass
class RemindReport:
    reminded: int = 0


def remind_due(rt: Runtime) -> RemindReport:
    """Queue a thread reminder for each unacknowledged incident whose repeat interval has passed."""
    report, now = RemindReport(), rt.clock.now()
    config = rt.config
    t = Timing.from_config(config.alerting)
    with rt.sessions() as session, session.begin():
        incidents = session.scalars(select(Incident).where(
            Incident.state == State.TRIGGERED.value,
            Incident.id.in_(select(IncidentMessage.incident_id)))).all()
        for inc in incidents:
            sent_at = queries.first_card_sent_at(session, inc.id)
            # an escalation step pings the team too: the repeat interval counts from whichever came last
            reason = reminder_reason(inc.state, sent_at, queries.last_ping_at(session, inc.id), now, t)
            if reason is not NotifyReason.REPEAT:
                continue
            n = reminder_number(sent_at, now, t)
            content = thread_notice(reason, count=inc.item_count, waited=int((now - sent_at).total_seconds() // 60),
                                    mentions=mentions_for(config.alerting, inc.grade, on_call(config, now), leads(config, now)))
            for chat_id in queries.posted_cards(session, inc.id):
                row = outbox.enqueue_once(session, key=f"i{inc.id}-remind-{n}-{outbox.short_key(chat_id)}", kind="thread_reply",
                                          chat_id=chat_id, msg_type="text", now=now, incident_id=inc.id,
                                          payload={"content": content, "reason": reason.value})
                report.reminded += row is not None
    if report.reminded:
        log.info("queued %d reminder(s) for unacknowledged incidents", report.reminded)
    return report
