"""Storm-control decisions, table-driven: pure functions of stored times and `now`."""
from datetime import datetime, timedelta, timezone

import pytest

from bot.alerting.changes import ChangeKind
from bot.alerting.policy import (NotifyReason, Timing, admit, first_card_due, reminder_number, reminder_reason,
                                 thread_reason, update_due)

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
T = Timing(group_wait=timedelta(seconds=30), group_interval=timedelta(seconds=60),
           repeat_interval=timedelta(minutes=30), burst_items=20)


def s(n: float) -> datetime:
    return T0 + timedelta(seconds=n)


def test_first_card_waits_group_wait():
    assert first_card_due(T0, T) == s(30)


@pytest.mark.parametrize("kind, last_notified, expected", [
    (ChangeKind.ITEMS_ADDED, None, s(0)),          # nothing told yet: as soon as a card exists
    (ChangeKind.ITEMS_ADDED, s(-10), s(50)),       # group_interval after the last card / update
    (ChangeKind.ITEMS_ADDED, s(-600), s(0)),       # long ago: now
    (ChangeKind.NOTE, s(-10), s(50)),
    (ChangeKind.STATE, s(-10), s(0)),              # a person acted: every card shows it at once
    (ChangeKind.REGRADED, s(-1), s(0)),
    (ChangeKind.GRADE_UP, s(-1), s(0)),
    (ChangeKind.RESURGENCE, s(-1), s(0)),
])
def test_update_due(kind, last_notified, expected):
    assert update_due(kind, T0, last_notified, T) == expected


@pytest.mark.parametrize("kind, since_notice, at_notice, expected", [
    (ChangeKind.ITEMS_ADDED, 1, 1, NotifyReason.NONE),
    (ChangeKind.ITEMS_ADDED, 19, 1, NotifyReason.NONE),
    (ChangeKind.ITEMS_ADDED, 20, 1, NotifyReason.NEW_ITEMS),
    (ChangeKind.ITEMS_ADDED, 20, 21, NotifyReason.NONE),     # 21 → 41 is not yet a doubling
    (ChangeKind.ITEMS_ADDED, 21, 21, NotifyReason.NEW_ITEMS),
    (ChangeKind.GRADE_UP, 0, 5, NotifyReason.GRADE_UP),
    (ChangeKind.RESURGENCE, 0, 5, NotifyReason.RESURGENCE),
    (ChangeKind.STATE, 100, 1, NotifyReason.NONE),
    (ChangeKind.REGRADED, 100, 1, NotifyReason.NONE),
    (ChangeKind.NOTE, 100, 1, NotifyReason.NONE),
])
def test_thread_reason(kind, since_notice, at_notice, expected):
    assert thread_reason(kind, since_notice, at_notice, T) == expected


@pytest.mark.parametrize("state, card_at, last, now, timing, expected", [
    ("triggered", s(0), None, s(1799), T, NotifyReason.NONE),
    ("triggered", s(0), None, s(1800), T, NotifyReason.REPEAT),
    ("triggered", s(0), s(1800), s(3000), T, NotifyReason.NONE),
    ("triggered", s(0), s(1800), s(3600), T, NotifyReason.REPEAT),
    ("acknowledged", s(0), None, s(9999), T, NotifyReason.NONE),
    ("resolved", s(0), None, s(9999), T, NotifyReason.NONE),
    ("triggered", None, None, s(9999), T, NotifyReason.NONE),         # no card posted: nothing to remind of
    ("triggered", s(0), None, s(9999), Timing(T.group_wait, T.group_interval, timedelta(0), 20), NotifyReason.NONE),
])
def test_reminder_reason(state, card_at, last, now, timing, expected):
    assert reminder_reason(state, card_at, last, now, timing) == expected


def test_reminder_number_counts_intervals():
    assert [reminder_number(s(0), s(x), T) for x in (1800, 3599, 3600)] == [1, 1, 2]


def test_gcra_allows_a_burst_then_paces():
    tat, decisions = None, []
    for _ in range(5):  # five sends at the same instant, 3/s with a burst of 3
        d = admit(tat, T0, rate=3.0, burst=3)
        tat = d.tat
        decisions.append((d.send_now, d.retry_at))
    assert [ok for ok, _ in decisions] == [True, True, True, False, False]
    assert decisions[3][1] == T0 + timedelta(seconds=1 / 3)
    later = admit(tat, T0 + timedelta(seconds=1), rate=3.0, burst=3)
    assert later.send_now  # the budget refills with time
