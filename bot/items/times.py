"""Published times as sources print them, made time-zone aware (naive means Asia/Shanghai).

Besides timestamps, ISO 8601 and RFC 822, the forms Chinese platforms show: `刚刚`, `3分钟前`, `半小时前`,
`2小时前`, `3天前`, `今天 14:20`, `昨天 14:20`, `前天14:20`, `14:20`, `11-22 14:20`, `11月22日 14:20`,
`2026年11月22日 14:20`, and Weibo's API form `Sun Nov 22 14:20:00 +0800 2026`.
"""
import re
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from bot.clock import SHANGHAI

_UNITS = {"秒": "seconds", "秒钟": "seconds", "分": "minutes", "分钟": "minutes", "小时": "hours",
          "个小时": "hours", "天": "days", "周": "weeks", "星期": "weeks", "个星期": "weeks"}
_RELATIVE = re.compile(r"^(\d+|半)\s*(秒钟|秒|分钟|分|个小时|小时|天|个星期|星期|周)\s*(?:以)?前$")
_DAY_WORDS = {"今天": 0, "昨天": 1, "前天": 2}
_DAY_TIME = re.compile(r"^(今天|昨天|前天)\s*(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_MONTH_DAY = re.compile(r"^(\d{1,2})(?:月|-|/)(\d{1,2})日?\s*(?:(\d{1,2}):(\d{2}))?$")
_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
            "%Y/%m/%d", "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日%H:%M", "%Y年%m月%d日",
            "%a %b %d %H:%M:%S %z %Y")


def parse_time(value, now: datetime) -> datetime | None:
    """An aware datetime for a timestamp, ISO or RFC 822 string, or Chinese relative time; None if unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _epoch(float(value))
    text = str(value).strip()
    if re.fullmatch(r"\d{10}(\d{3})?(\.\d+)?", text):
        return _epoch(float(text))
    return _chinese(text, now) or _absolute(text)


def _chinese(text: str, now: datetime) -> datetime | None:
    local_now = now.astimezone(SHANGHAI)
    if text in ("刚刚", "刚才"):
        return now
    if m := _RELATIVE.match(text):
        amount = 0.5 if m.group(1) == "半" else int(m.group(1))
        return now - timedelta(**{_UNITS[m.group(2)]: amount})
    if m := _DAY_TIME.match(text):
        day = local_now - timedelta(days=_DAY_WORDS[m.group(1)])
        return _at(day, int(m.group(2)), int(m.group(3)), int(m.group(4) or 0))
    if m := _CLOCK.match(text):
        today = _at(local_now, int(m.group(1)), int(m.group(2)))
        if today is None or today <= local_now + timedelta(minutes=5):
            return today
        return today - timedelta(days=1)  # "23:50" read at 00:10 is yesterday's
    if m := _MONTH_DAY.match(text):
        try:
            candidate = local_now.replace(month=int(m.group(1)), day=int(m.group(2)), hour=int(m.group(3) or 0),
                                          minute=int(m.group(4) or 0), second=0, microsecond=0)
        except ValueError:
            return None
        # "12月30日" read on 1 January is last year's
        return candidate if candidate <= local_now + timedelta(days=1) else candidate.replace(year=candidate.year - 1)
    return None


def _absolute(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)
    except ValueError:
        pass
    for fmt in _FORMATS:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)
    try:
        parsed = parsedate_to_datetime(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)
    except (TypeError, ValueError, IndexError):
        return None


def _at(day: datetime, hour: int, minute: int, second: int = 0) -> datetime | None:
    try:
        return day.replace(hour=hour, minute=minute, second=second, microsecond=0)
    except ValueError:
        return None


def _epoch(seconds: float) -> datetime | None:
    if seconds > 1e12:  # milliseconds
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, tz=SHANGHAI)
    except (OverflowError, OSError, ValueError):
        return None
