"""Reminders for unacknowledged incidents: a reply in the card's thread every `alerting.repeat_interval`.

`policy.reminder_reason` decides from stored times; the delivery key carries the reminder's number, so two
workers (or a rerun) queue each reminder once. The tick reads only incidents whose `remind_at` has come (an index
range; `bot.models.due` sets it back to "look now" when the state changes or the first card is sent) and stores
`policy.next_reminder_at` after deciding, so a quiet tick costs one query whatever the number of open incidents.
"""
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.alerting import queries
from bot.alerting.kinds import Outbound
from bot.alerting.notices import thread_notice
from bot.alerting.pipeline import Outgoing, submit
from bot.alerting.policy import NotifyReason, Timing, next_reminder_at, reminder_number, reminder_reason
from bot.alerting.routing import mentions_for
from bot.config import Config
from bot.models import Incident
from bot.models.due import store_due
from bot.oncall import leads, on_call


def reminders_due(session: Session, now: datetime) -> bool:
    """Whether any incident's reminder time has come (one index lookup): a quiet tick stops here."""
    return session.scalar(select(Incident.id).where(Incident.remind_at <= now).limit(1)) is not None


def remind_all(session: Session, config: Config, now: datetime) -> int:
    """Decide again, under their row locks, every incident whose reminder time has come: queue the reminders due
    and store each one's next time; returns the messages queued."""
    incidents = session.scalars(select(Incident).where(Incident.remind_at <= now)
                                .order_by(Incident.remind_at, Incident.id).with_for_update()).all()
    queued, times = 0, {}
    for inc in incidents:
        sent, times[inc.id] = remind(session, config, inc, now)
        queued += sent
    store_due(session, "remind_at", times)
    return queued


def remind(session: Session, config: Config, inc: Incident, now: datetime) -> tuple[int, datetime | None]:
    """Queue this incident's reminder if its repeat interval has passed; returns the messages queued and when
    the next reminder falls due."""
    t = Timing.from_config(config.alerting)
    if next_reminder_at(inc.state, now, None, t) is None:
        return 0, None  # not waiting to be reminded whatever its card and pings: no need to read them
    sent_at = queries.first_card_sent_at(session, inc.id)
    # an escalation step pings the team too: the repeat interval counts from whichever came last
    pinged = queries.last_ping_at(session, inc.id)
    reason = reminder_reason(inc.state, sent_at, pinged, now, t)
    if reason is not NotifyReason.REPEAT or sent_at is None:
        return 0, next_reminder_at(inc.state, sent_at, pinged, t)
    text = thread_notice(reason, count=inc.item_count, waited=int((now - sent_at).total_seconds() // 60))
    mentions = mentions_for(config.alerting, inc.grade, on_call(config, now), leads(config, now))
    out = Outgoing(Outbound.REMINDER, inc, chats=tuple(queries.posted_cards(session, inc.id)), text=text,
                   mentions=mentions, key=(reminder_number(sent_at, now, t),), meta={"reason": reason.value})
    rows = submit(session, config, out, now)
    # held back by a silence, or queued by another worker already: the stored pings say when to look again
    pinged = now if rows else queries.last_ping_at(session, inc.id)
    return len(rows), next_reminder_at(inc.state, sent_at, pinged, t)
