"""Published times as sources print them, made time-zone aware (naive means Asia/Shanghai)."""
import re
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from bot.clock import SHANGHAI

_RELATIVE = re.compile(r"^(\d+)\s*(秒|分钟|小时|天)前$")
_DAY_WORDS = {"今天": 0, "昨天": 1, "前天": 2}
_DAY_TIME = re.compile(r"^(今天|昨天|前天)\s*(\d{1,2}):(\d{2})$")
_MONTH_DAY = re.compile(r"^(\d{1,2})月(\d{1,2})日\s*(?:(\d{1,2}):(\d{2}))?$")
_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
            "%Y/%m/%d", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日")


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
    local_now = now.astimezone(SHANGHAI)
    if text in ("刚刚", "刚才"):
        return now
    if m := _RELATIVE.match(text):
        unit = {"秒": "seconds", "分钟": "minutes", "小时": "hours", "天": "days"}[m.group(2)]
        return now - timedelta(**{unit: int(m.group(1))})
    if m := _DAY_TIME.match(text):
        day = local_now - timedelta(days=_DAY_WORDS[m.group(1)])
        return day.replace(hour=int(m.group(2)), minute=int(m.group(3)), second=0, microsecond=0)
    if m := _MONTH_DAY.match(text):
        candidate = local_now.replace(month=int(m.group(1)), day=int(m.group(2)), hour=int(m.group(3) or 0),
                                      minute=int(m.group(4) or 0), second=0, microsecond=0)
        # "12月30日" read on 1 January is last year's
        return candidate if candidate <= local_now + timedelta(days=1) else candidate.replace(year=candidate.year - 1)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)
    except ValueError:
        pass
    try:
        parsed = parsedate_to_datetime(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)
    except (TypeError, ValueError, IndexError):
        pass
    for fmt in _FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=SHANGHAI)
        except ValueError:
            continue
    return None


def _epoch(seconds: float) -> datetime:
    if seconds > 1e12:  # milliseconds
        seconds /= 1000
    return datetime.fromtimestamp(seconds, tz=SHANGHAI)
