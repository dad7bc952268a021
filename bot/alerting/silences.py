"""Silences are data: a matcher (brand, source or keyword), a value, a time span and who made it.

A silence's state is computed from the time (pending / active / expired); expiring one moves `ends_at`
to now, it is never deleted. The alerting path asks `is_muted(...)` before it tells a chat anything.
"""
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Silence

MAX_DURATION = timedelta(days=30)


class Matcher(StrEnum):
    BRAND = "brand"
    SOURCE = "source"
    KEYWORD = "keyword"

    @property
    def label(self) -> str:
        return {"brand": "品牌", "source": "来源", "keyword": "关键词"}[self.value]


MATCHER_NAMES = {"brand": Matcher.BRAND, "品牌": Matcher.BRAND, "source": Matcher.SOURCE, "来源": Matcher.SOURCE,
                 "keyword": Matcher.KEYWORD, "关键词": Matcher.KEYWORD}

_UNITS = {"m": 1, "min": 1, "分钟": 1, "分": 1, "h": 60, "小时": 60, "时": 60, "d": 1440, "天": 1440}
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(m|min|分钟|分|h|小时|时|d|天)$", re.IGNORECASE)


class BadSilence(ValueError):
    """A silence that cannot be made; the message is fit for the chat."""


def parse_matcher(text: str) -> Matcher:
    try:
        return MATCHER_NAMES[text.strip().lower()]
    except KeyError:
        raise BadSilence(f"不认识的屏蔽类型「{text}」：用 brand/品牌、source/来源 或 关键词") from None


def parse_duration(text: str) -> timedelta:
    """`30m`, `2h`, `1d`, `90分钟`, `2小时`, `3天` → a timedelta of at most 30 days."""
    m = _DURATION.match(text.strip())
    if not m:
        raise BadSilence(f"时长「{text}」看不懂：用 30m、2h、1d（或 30分钟、2小时、1天）")
    minutes = float(m.group(1)) * _UNITS[m.group(2).lower()]
    span = timedelta(minutes=minutes)
    if span <= timedelta(0):
        raise BadSilence("时长必须大于 0")
    if span > MAX_DURATION:
        raise BadSilence("时长最多 30 天")
    return span


def silence_state(s: Silence, now: datetime) -> str:
    """pending, active or expired, from the time alone."""
    if now < s.starts_at:
        return "pending"
    return "active" if now < s.ends_at else "expired"


def create_silence(session: Session, matcher: Matcher, value: str, duration: timedelta, created_by: str,
                   now: datetime, reason: str = "") -> Silence:
    """Validate and store a silence starting now."""
    value = value.strip()
    if not value:
        raise BadSilence("屏蔽的值不能为空")
    if len(value) > 200:
        raise BadSilence("屏蔽的值最长 200 字")
    if not timedelta(0) < duration <= MAX_DURATION:
        raise BadSilence("时长必须大于 0、最多 30 天")
    row = Silence(matcher=matcher.value, value=value, starts_at=now, ends_at=now + duration,
                  created_by=created_by, reason=reason)
    session.add(row)
    session.flush()
    return row


def active_silences(session: Session, now: datetime) -> list[Silence]:
    return list(session.scalars(select(Silence).where(Silence.starts_at <= now, Silence.ends_at > now)
                                .order_by(Silence.ends_at, Silence.id)))


def expire_silence(session: Session, silence_id: int, now: datetime) -> Silence:
    """End a silence now (kept as a row); an unknown or already expired one is refused."""
    row = session.get(Silence, silence_id)
    if row is None or silence_state(row, now) == "expired":
        raise BadSilence(f"没有生效中的屏蔽 #{silence_id}")
    row.ends_at = now
    return row


def matches(s: Silence, brand: str | None, source: str | None, text: str) -> bool:
    if s.matcher == Matcher.BRAND:
        return brand is not None and brand == s.value
    if s.matcher == Matcher.SOURCE:
        return source is not None and source == s.value
    return s.value.lower() in (text or "").lower()


def is_muted(session: Session, brand: str | None, source: str | None, text: str, now: datetime) -> Silence | None:
    """The first active silence that covers this brand, source or text, or None: alert only when None."""
    return next((s for s in active_silences(session, now) if matches(s, brand, source, text)), None)


@dataclass(frozen=True)
class SilenceView:
    id: int
    matcher: Matcher
    value: str
    ends_at: datetime
    created_by: str


def describe(s: Silence) -> SilenceView:
    return SilenceView(s.id, Matcher(s.matcher), s.value, s.ends_at, s.created_by)
