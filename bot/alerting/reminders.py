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
    and store each one's next time; returns the messages queued. Reads a constant number of queries besides the
    reminders queued."""
    t = Timing.from_config(config.alerting)
    # the decision needs the state only: the whole incident (its JSON columns) is read for those reminded
    states = dict(session.execute(select(Incident.id, Incident.state).where(Incident.remind_at <= now)
                                  .order_by(Incident.remind_at, Incident.id).with_for_update()).all())
    # only an unacknowledged incident can be waiting for a reminder, whatever its card and pings
    waiting = [i for i, state in states.items() if next_reminder_at(state, now, None, t) is not None]
    clocks = queries.reminder_clocks(session, waiting)
    queued, times = 0, dict.fromkeys(states, None)
    for i in waiting:
        sent_at, pinged = clocks[i]
        if reminder_reason(states[i], sent_at, pinged, now, t) is NotifyReason.REPEAT and sent_at is not None:
            sent, times[i] = remind(session, config, session.get_one(Incident, i), sent_at, pinged, now, t)
            queued += sent
        else:
            times[i] = next_reminder_at(states[i], sent_at, pinged, t)
    store_due(session, "remind_at", times)
    return queued


def remind(session: Session, config: Config, inc: Incident, sent_at: datetime | None, pinged: datetime | None,
           now: datetime, t: Timing) -> tuple[int, datetime | None]:
    """Queue this incident's reminder if its repeat interval has passed since its first card (`sent_at`) or the
    last ping (`pinged`: a reminder or an escalation step); returns the messages queued and when the next
    reminder falls due."""
    reason = reminder_reason(inc.state, sent_at, pinged, now, t)
    if reason is not NotifyReason.REPEAT or sent_at is None:
        return 0, next_reminder_at(inc.state, sent_at, pinged, t)
    text = thread_notice(reason, count=inc.item_count, waited=int((now - sent_at).total_seconds() // 60))
    mentions = mentions_for(config.alerting, inc.grade, on_call(config, now), leads(config, now))
    out = Outgoing(Outbound.REMINDER, inc, chats=tuple(queries.posted_cards(session, inc.id)), text=text,
                   mentions=mentions, key=(reminder_number(sent_at, now, t),), meta={"reason": reason.value})
    rows = submit(session, config, out, now)
    # held back by a silence, or queued by another worker already: the stored pings say when to look again
    pinged = now if rows else queries.reminder_clocks(session, [inc.id])[inc.id][1]
    return len(rows), next_reminder_at(inc.state, sent_at, pinged, t)
