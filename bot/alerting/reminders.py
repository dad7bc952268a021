"""Reminders for unacknowledged incidents: a reply in the card's thread every `alerting.repeat_interval`.

`policy.reminder_reason` decides from stored times; the delivery key carries the reminder's number, so two
workers (or a rerun) queue each reminder once.
"""
from datetime import datetime

from sqlalchemy.orm import Session

from bot.alerting import queries
from bot.alerting.kinds import Outbound
from bot.alerting.notices import thread_notice
from bot.alerting.pipeline import Outgoing, submit
from bot.alerting.policy import NotifyReason, Timing, reminder_number, reminder_reason
from bot.alerting.routing import mentions_for
from bot.config import Config
from bot.models import Incident
from bot.oncall import leads, on_call


def remind(session: Session, config: Config, inc: Incident, now: datetime) -> int:
    """Queue this incident's reminder if its repeat interval has passed; returns the messages queued."""
    t = Timing.from_config(config.alerting)
    sent_at = queries.first_card_sent_at(session, inc.id)
    # an escalation step pings the team too: the repeat interval counts from whichever came last
    reason = reminder_reason(inc.state, sent_at, queries.last_ping_at(session, inc.id), now, t)
    if reason is not NotifyReason.REPEAT or sent_at is None:
        return 0
    text = thread_notice(reason, count=inc.item_count, waited=int((now - sent_at).total_seconds() // 60))
    mentions = mentions_for(config.alerting, inc.grade, on_call(config, now), leads(config, now))
    out = Outgoing(Outbound.REMINDER, inc, chats=tuple(queries.posted_cards(session, inc.id)), text=text,
                   mentions=mentions, key=(reminder_number(sent_at, now, t),), meta={"reason": reason.value})
    return len(submit(session, config, out, now))
