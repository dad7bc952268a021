"""Silences are data: a matcher (brand, grade, topic, source or keyword), a value, a time span and who made it.

A silence's state is computed from the time (pending / active / expired); expiring one moves `ends_at`
to now, it is never deleted. The notification pipeline asks `muting(...)` before it queues or sends anything
about an incident, and records what it held back (`SilenceHold`), which `/silences` shows.
"""
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.grades import Grade
from bot.models import Incident, Silence, SilenceHold

MAX_DURATION = timedelta(days=30)


class Matcher(StrEnum):
    BRAND = "brand"
    GRADE = "grade"
    TOPIC = "topic"
    SOURCE = "source"
    KEYWORD = "keyword"

    @property
    def label(self) -> str:
        return {"brand": "品牌", "grade": "等级", "topic": "话题", "source": "来源", "keyword": "关键词"}[self.value]


MATCHER_NAMES = {"brand": Matcher.BRAND, "品牌": Matcher.BRAND, "grade": Matcher.GRADE, "等级": Matcher.GRADE,
                 "topic": Matcher.TOPIC, "话题": Matcher.TOPIC, "source": Matcher.SOURCE, "来源": Matcher.SOURCE,
                 "keyword": Matcher.KEYWORD, "关键词": Matcher.KEYWORD}

_UNITS = {"m": 1, "min": 1, "分钟": 1, "分": 1, "h": 60, "小时": 60, "时": 60, "d": 1440, "天": 1440}
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(m|min|分钟|分|h|小时|时|d|天)$", re.IGNORECASE)


class BadSilence(ValueError):
    """A silence that cannot be made; the message is fit for the chat."""


def parse_matcher(text: str) -> Matcher:
    try:
        return MATCHER_NAMES[text.strip().lower()]
    except KeyError:
        raise BadSilence(f"不认识的屏蔽类型「{text}」：用 brand/品牌、grade/等级、topic/话题、source/来源 或 关键词") from None


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
    if matcher is Matcher.GRADE:
        try:
            value = Grade.parse(value).value
        except ValueError:
            raise BadSilence(f"等级「{value}」看不懂：用 重大、一般 或 轻微") from None
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


@dataclass(frozen=True)
class Subject:
    """What a silence is matched against: an incident's brand, grade, topics, sources and title."""

    brand: str | None
    grade: str | None = None
    topics: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    text: str = ""

    @classmethod
    def of(cls, incident: Incident) -> "Subject":
        topics = tuple(t.get("name", "") if isinstance(t, dict) else str(t) for t in incident.topics or ())
        return cls(incident.brand, incident.grade, topics, tuple(incident.sources or ()), incident.title or "")


def matches(s: Silence, subject: Subject) -> bool:
    value = s.value
    if s.matcher == Matcher.BRAND:
        return subject.brand == value
    if s.matcher == Matcher.GRADE:
        return subject.grade == value
    if s.matcher == Matcher.TOPIC:
        return value in subject.topics
    if s.matcher == Matcher.SOURCE:
        return value in subject.sources
    return value.lower() in subject.text.lower()


def is_muted(session: Session, subject: Subject, now: datetime) -> Silence | None:
    """The first active silence that covers this subject, or None: tell the chats only when None."""
    return next((s for s in active_silences(session, now) if matches(s, subject)), None)


def hold(session: Session, silence: Silence, incident_id: int, kind: str, now: datetime) -> None:
    """Count one message about the incident held back by the silence."""
    row = session.scalars(select(SilenceHold).where(SilenceHold.silence_id == silence.id,
                                                    SilenceHold.incident_id == incident_id,
                                                    SilenceHold.kind == kind)).first()
    if row is None:
        row = SilenceHold(silence_id=silence.id, incident_id=incident_id, kind=kind, count=0, first_at=now,
                          last_at=now)
        session.add(row)
    row.count += 1
    row.last_at = now
    session.flush()


def held_by(session: Session, silence_ids: list[int]) -> dict[int, dict[str, tuple[int, int]]]:
    """silence id → kind → (messages held, incidents)."""
    out: dict[int, dict[str, tuple[int, int]]] = {}
    rows = session.execute(select(SilenceHold.silence_id, SilenceHold.kind, func.sum(SilenceHold.count),
                                  func.count(SilenceHold.incident_id.distinct()))
                           .where(SilenceHold.silence_id.in_(silence_ids))
                           .group_by(SilenceHold.silence_id, SilenceHold.kind)).all()
    for sid, kind, count, incidents in rows:
        out.setdefault(sid, {})[kind] = (int(count or 0), int(incidents))
    return out


def unreleased_after_expiry(session: Session, now: datetime) -> list[SilenceHold]:
    """Holds of silences that have ended and whose incidents were not looked at again yet."""
    return list(session.scalars(select(SilenceHold).join(Silence, Silence.id == SilenceHold.silence_id)
                                .where(SilenceHold.released_at.is_(None), Silence.ends_at <= now)
                                .order_by(SilenceHold.incident_id, SilenceHold.id)))


@dataclass(frozen=True)
class SilenceView:
    id: int
    matcher: Matcher
    value: str
    ends_at: datetime
    created_by: str


def describe(s: Silence) -> SilenceView:
    return SilenceView(s.id, Matcher(s.matcher), s.value, s.ends_at, s.created_by)
