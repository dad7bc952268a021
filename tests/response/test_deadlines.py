"""Deadlines per grade, working-hours arithmetic, and the policy snapshot."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.config import parse_config
from bot.incidents.deadlines import (IncidentSnapshot, Kind, Policy, add_working_time, deadlines_for, graded_at,
                                     missed_deadlines, overdue, policy_of, snapshot_policy)

SH = ZoneInfo("Asia/Shanghai")
POLICY = Policy.from_config(parse_config({}))


def sh(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH).astimezone(timezone.utc)


@pytest.mark.parametrize("start, minutes, due", [
    ("2026-11-23 10:00", 240, "2026-11-23 14:00"),   # Monday, inside the day
    ("2026-11-23 17:00", 240, "2026-11-24 12:00"),   # 1 h today, 3 h tomorrow morning
    ("2026-11-23 20:00", 240, "2026-11-24 13:00"),   # after hours: the clock starts at 09:00
    ("2026-11-24 03:00", 60, "2026-11-24 10:00"),    # in the night
    ("2026-11-27 16:00", 240, "2026-11-30 11:00"),   # Friday → Monday, over the weekend
    ("2026-11-28 11:00", 240, "2026-11-30 13:00"),   # Saturday: nothing counts until Monday
    ("2026-11-23 09:00", 540, "2026-11-23 18:00"),   # exactly one working day ends at closing time
    ("2026-11-23 09:00", 541, "2026-11-24 09:01"),
    ("2026-11-23 18:00", 0, "2026-11-24 09:00"),     # zero minutes at closing: next opening
])
def test_add_working_time(start, minutes, due):
    assert add_working_time(sh(start), timedelta(minutes=minutes), POLICY) == sh(due)


def test_holidays_and_custom_days_are_skipped():
    p = Policy.from_config(parse_config({"response": {"working_hours": {
        "days": [1, 2, 3, 4, 5, 6], "start": "10:00", "end": "12:00", "holidays": ["2026-11-24"]}}}))
    # Mon 11:00 +4 h: 1 h Mon, Tue is a holiday, 2 h Wed, 1 h Thu
    assert add_working_time(sh("2026-11-23 11:00"), timedelta(hours=4), p) == sh("2026-11-26 11:00")
    # Sat counts, Sun does not
    assert add_working_time(sh("2026-11-28 11:00"), timedelta(hours=2), p) == sh("2026-11-30 11:00")


def snap(grade="重大", state="triggered", opened="2026-11-23 10:00", **times) -> IncidentSnapshot:
    return IncidentSnapshot(id=1, grade=grade, state=state, opened_at=sh(opened),
                            **{k: sh(v) if isinstance(v, str) else v for k, v in times.items()})


@pytest.mark.parametrize("s, expected", [
    (snap("重大"), [("ack", "2026-11-23 10:15"), ("assess", "2026-11-23 11:00"), ("statement", "2026-11-23 12:00")]),
    (snap("一般"), [("ack", "2026-11-23 11:00")]),
    (snap("轻微", opened="2026-11-27 17:00"), [("ack", "2026-11-30 12:00")]),  # Fri 17:00 + 4 working hours
    (snap(None), []),
    # reached 重大 only at 13:00: the clocks start then
    (snap("重大", graded_at=sh("2026-11-23 13:00")), [("ack", "2026-11-23 13:15"), ("assess", "2026-11-23 14:00"),
                                                      ("statement", "2026-11-23 15:00")]),
])
def test_deadlines_for(s, expected):
    assert [(d.kind.value, d.due_at) for d in deadlines_for(s, POLICY)] == [(k, sh(t)) for k, t in expected]


@pytest.mark.parametrize("s, now, kinds", [
    (snap("重大"), "2026-11-23 10:14", []),
    (snap("重大"), "2026-11-23 10:15", ["ack"]),
    (snap("重大", acknowledged_at="2026-11-23 10:05"), "2026-11-23 11:30", ["assess"]),
    (snap("重大", acknowledged_at="2026-11-23 10:05", assessed_at="2026-11-23 10:50"), "2026-11-23 12:00",
     ["statement"]),
    (snap("重大", state="resolved", resolved_at="2026-11-23 10:30"), "2026-11-23 13:00", []),
    (snap("一般", acknowledged_at="2026-11-23 11:30"), "2026-11-23 12:00", []),  # met late is not overdue
])
def test_overdue(s, now, kinds):
    assert [d.kind.value for d in overdue(s, deadlines_for(s, POLICY), sh(now))] == kinds


def test_missed_deadlines_is_overdue_of_deadlines_for():
    """The status's shortcut (only the unmet deadlines' times) answers as the full rule does, for every grade, with
    or without a later grading, met or not, inside and outside working hours."""
    import random
    rng = random.Random(7)
    start = sh("2026-11-20 00:00")
    seen = set()
    for _ in range(3000):
        opened = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 7))

        def maybe(base: datetime) -> datetime | None:
            return base + timedelta(minutes=rng.randrange(0, 600)) if rng.random() < 0.4 else None

        s = IncidentSnapshot(id=1, grade=rng.choice(["重大", "一般", "轻微", None]),
                             state=rng.choice(["triggered", "acknowledged", "in_progress"]), opened_at=opened,
                             acknowledged_at=maybe(opened), assessed_at=maybe(opened), statement_at=maybe(opened),
                             resolved_at=maybe(opened) if rng.random() < 0.2 else None,
                             graded_at=opened + timedelta(minutes=rng.randrange(-120, 600)) if rng.random() < 0.5
                             else None)
        now = opened + timedelta(minutes=rng.randrange(0, 60 * 24 * 4))
        expected = overdue(s, deadlines_for(s, POLICY), now)
        assert missed_deadlines(s, POLICY, now) == expected
        seen.add(tuple(d.kind.value for d in expected))
    assert {(), ("ack",), ("assess",), ("ack", "assess", "statement")} <= seen


def test_late_by():
    d = {x.kind: x for x in deadlines_for(snap("一般", acknowledged_at="2026-11-23 11:25"), POLICY)}
    assert d[Kind.ACK].late_by == timedelta(minutes=25)
    d = {x.kind: x for x in deadlines_for(snap("一般", acknowledged_at="2026-11-23 10:25"), POLICY)}
    assert d[Kind.ACK].late_by == timedelta(0)


def test_snapshot_survives_a_config_change():
    before = parse_config({"response": {"deadlines": {"重大": {"ack": 30, "assess": 90, "statement": 180}}}})
    after = parse_config({"response": {"deadlines": {"重大": {"ack": 5}}}})
    stored = snapshot_policy(before, "重大")
    s = snap("重大")
    assert deadlines_for(s, policy_of(stored, after))[0].due_at == sh("2026-11-23 10:30")
    assert deadlines_for(s, policy_of({}, after))[0].due_at == sh("2026-11-23 10:05")  # no snapshot: the config
    assert policy_of(stored, after) == Policy.from_config(before)


def test_graded_at_takes_the_last_rise_to_the_grade():
    events = [(sh("2026-11-23 10:00"), {"from": None, "to": "一般"}),
              (sh("2026-11-23 11:00"), {"from": "一般", "to": "重大"}),
              (sh("2026-11-23 11:30"), {"from": "重大", "to": "重大"})]
    assert graded_at(events, "重大", sh("2026-11-23 10:00")) == sh("2026-11-23 11:00")
    assert graded_at(events, "重大", sh("2026-11-23 12:00")) is None  # before a reopening: not counted
