from datetime import datetime, timedelta, timezone

import pytest

from bot.clock import SHANGHAI
from bot.items.times import parse_time

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
LOCAL = NOW.astimezone(SHANGHAI)


def at(month, day, hour=0, minute=0, second=0, year=2026):
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


@pytest.mark.parametrize("text, expected", [
    ("刚刚", NOW),
    ("30秒前", NOW - timedelta(seconds=30)),
    ("3分钟前", NOW - timedelta(minutes=3)),
    ("5 分钟前", NOW - timedelta(minutes=5)),
    ("半小时前", NOW - timedelta(minutes=30)),
    ("2小时前", NOW - timedelta(hours=2)),
    ("1个小时前", NOW - timedelta(hours=1)),
    ("3天前", NOW - timedelta(days=3)),
    ("1周前", NOW - timedelta(weeks=1)),
    ("今天 08:05", at(11, 23, 8, 5)),
    ("昨天 14:20", at(11, 22, 14, 20)),
    ("昨天14:20", at(11, 22, 14, 20)),
    ("前天 23:59:30", at(11, 21, 23, 59, 30)),
    ("09:30", at(11, 23, 9, 30)),
    ("23:50", at(11, 22, 23, 50)),  # later than now today: yesterday's
    ("11-22 14:20", at(11, 22, 14, 20)),
    ("11月20日", at(11, 20)),
    ("12月30日 08:00", at(12, 30, 8, 0, year=2025)),  # after today: last year's
    ("2026年11月20日 09:15", at(11, 20, 9, 15)),
    ("2026年11月20日09:15", at(11, 20, 9, 15)),
    ("2026-11-20 09:15:00", at(11, 20, 9, 15)),
    ("2026/11/20", at(11, 20)),
    ("2026-11-20T01:15:00Z", datetime(2026, 11, 20, 1, 15, tzinfo=timezone.utc)),
    ("Mon, 23 Nov 2026 01:30:00 GMT", datetime(2026, 11, 23, 1, 30, tzinfo=timezone.utc)),
    ("Sun Nov 22 14:20:00 +0800 2026", at(11, 22, 14, 20)),
    ("1763861400", datetime.fromtimestamp(1763861400, tz=timezone.utc)),
    (1763861400000, datetime.fromtimestamp(1763861400, tz=timezone.utc)),
    (datetime(2026, 11, 20, 9, 15), at(11, 20, 9, 15)),  # naive means Shanghai
])
def test_times_as_platforms_print_them(text, expected):
    got = parse_time(text, NOW)
    assert got == expected and got.tzinfo is not None


@pytest.mark.parametrize("text", ["", None, "很久以前", "25:99", "13月40日", "昨天 25:00", "99999999999999999999"])
def test_unreadable_times_are_none(text):
    assert parse_time(text, NOW) is None
