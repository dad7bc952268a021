"""Storm control, as pure functions of stored times and an injected `now` (Alertmanager's group_wait,
group_interval and repeat_interval, and a per-chat send budget).

- group_wait: a new incident's first card waits this long, so the items of a burst land on one card;
- group_interval: new items patch the card at most this often (one pending update per incident);
- repeat_interval: an unacknowledged incident gets a reminder in its thread this often (0: never);
- burst_items: this many new items (and a doubling) since the last thread notice earn a reply in the thread;
- chat_rate / chat_burst: a GCRA budget per chat, below Feishu's 5 messages/s per group (shared by all bots).
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.alerting.changes import ChangeKind
from bot.config.alerting import AlertingConfig


class NotifyReason(StrEnum):
    FIRST = "first"
    NEW_ITEMS = "new_items"
    GRADE_UP = "grade_up"
    RESURGENCE = "resurgence"
    REPEAT = "repeat"
    NONE = "none"


@dataclass(frozen=True)
class Timing:
    group_wait: timedelta
    group_interval: timedelta
    repeat_interval: timedelta
    burst_items: int

    @classmethod
    def from_config(cls, cfg: AlertingConfig) -> "Timing":
        return cls(timedelta(seconds=cfg.group_wait), timedelta(seconds=cfg.group_interval),
                   timedelta(seconds=cfg.repeat_interval), cfg.burst_items)


# changes a person makes, or a grade going up: every card shows them at once
URGENT = frozenset({ChangeKind.STATE, ChangeKind.REGRADED, ChangeKind.GRADE_UP, ChangeKind.RESURGENCE})


def first_card_due(now: datetime, t: Timing) -> datetime:
    """When a new incident's first card goes out (group_wait)."""
    return now + t.group_wait


def update_due(kind: ChangeKind, now: datetime, last_notified_at: datetime | None, t: Timing) -> datetime:
    """When the card update for this change goes out: now if urgent, else group_interval after the last one."""
    if kind in URGENT or last_notified_at is None:
        return now
    return max(now, last_notified_at + t.group_interval)


def thread_reason(kind: ChangeKind, items_since_notice: int, items_at_notice: int, t: Timing) -> NotifyReason:
    """Whether this change also earns a short reply in the card's thread, and why.

    New items count as a burst once there are burst_items of them and the incident has at least doubled
    since the chats last heard: 200 items in a row give a handful of replies, not ten.
    """
    if kind is ChangeKind.GRADE_UP:
        return NotifyReason.GRADE_UP
    if kind is ChangeKind.RESURGENCE:
        return NotifyReason.RESURGENCE
    if kind is ChangeKind.ITEMS_ADDED and items_since_notice >= max(t.burst_items, items_at_notice):
        return NotifyReason.NEW_ITEMS
    return NotifyReason.NONE


def reminder_reason(state: str, card_sent_at: datetime | None, last_reminder_at: datetime | None,
                    now: datetime, t: Timing) -> NotifyReason:
    """REPEAT when an unacknowledged incident's card has waited repeat_interval since it or the last reminder."""
    if state != "triggered" or card_sent_at is None or t.repeat_interval <= timedelta(0):
        return NotifyReason.NONE
    since = last_reminder_at or card_sent_at
    return NotifyReason.REPEAT if now - since >= t.repeat_interval else NotifyReason.NONE


def next_reminder_at(state: str, card_sent_at: datetime | None, last_reminder_at: datetime | None,
                     t: Timing) -> datetime | None:
    """When `reminder_reason` next says REPEAT (None: it cannot until something is written). Stored as the
    incident's `remind_at`."""
    if state != "triggered" or card_sent_at is None or t.repeat_interval <= timedelta(0):
        return None
    return (last_reminder_at or card_sent_at) + t.repeat_interval


def reminder_number(card_sent_at: datetime, now: datetime, t: Timing) -> int:
    """Which reminder this is (1, 2, …): part of its delivery key, so two workers cannot both send it."""
    return int((now - card_sent_at) / t.repeat_interval)


@dataclass(frozen=True)
class Admission:
    send_now: bool
    tat: datetime               # the chat's new theoretical arrival time, to store
    retry_at: datetime | None   # when to try again if not now


def admit(tat: datetime | None, now: datetime, rate: float, burst: int) -> Admission:
    """GCRA: allow a send if the chat's budget has room (bursts of `burst`, `rate` per second on average)."""
    interval = timedelta(seconds=1 / rate)
    tolerance = interval * (burst - 1)
    tat = max(tat or now, now)
    if tat - tolerance > now:
        return Admission(False, tat, tat - tolerance)
    return Admission(True, tat + interval, None)



@dataclass(frozen=True)
class SendCap:
    """A chat's send rate cap (`alerting.chat_rate` per second, bursts of `chat_burst`), for the outbox's claim:
    how many sends a chat's budget admits now, by `admit`'s rule."""

    rate: float
    burst: int

    @property
    def slack(self) -> timedelta:
        """How far a stored `tat` may run ahead of now with a send still admitted."""
        return timedelta(seconds=1 / self.rate) * (self.burst - 1)

    def room(self, tat: datetime | None, now: datetime) -> int:
        """How many sends in a row `admit` lets through at `now` from this `tat`."""
        interval = timedelta(seconds=1 / self.rate)  # as `admit` counts it, to the microsecond
        ahead = max(tat or now, now) - now
        return max(0, min(self.burst, (interval * (self.burst - 1) - ahead) // interval + 1))
