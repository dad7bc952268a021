"""The risk index as a time series in the database: recomputed from the stored items, one row per entity and
day (Asia/Shanghai days, the response timezone), and read back for /risk, `yuqing risk` and the API.

An entity's items are those of its incidents (an item names one incident's entity), drills left out. Reading
recomputes the window asked for from the items in one query, so a backfill or a late item shows up; the
row of a day keeps when its jump was alerted.
"""
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.cards.risk import Story
from bot.models import EntityRisk, Incident, Item, Source
from bot.risk.index import TREND_DAYS, DayItem, RiskDay, risk_of_day
from bot.watchlists.severity import severity


def _seen_at():
    return func.coalesce(Item.published_at, Item.fetched_at)


def day_start(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tz)


def _topics(raw: list | None) -> tuple[str, ...]:
    return tuple(str(t["name"]) for t in raw or [] if isinstance(t, dict) and t.get("name"))


def _items_by_day(session: Session, entity: str, first: date, last: date, tz: tzinfo) -> dict[date, list[DayItem]]:
    seen = _seen_at()
    rows = session.execute(
        select(Item.negative, Item.authority, Item.topics, seen)
        .join(Incident, Incident.id == Item.incident_id)
        .where(Incident.brand == entity, Incident.is_drill.is_(False),
               seen >= day_start(first, tz), seen < day_start(last + timedelta(days=1), tz))
    ).all()
    out: dict[date, list[DayItem]] = {}
    for negative, authority, topics, at in rows:
        out.setdefault(at.astimezone(tz).date(), []).append(DayItem(bool(negative), authority, _topics(topics)))
    return out


def _store(session: Session, entity: str, day: date, r: RiskDay, now: datetime) -> EntityRisk:
    fields = dict(index=r.index, volume=r.volume, negative=r.negative, severity=r.severity, authority=r.authority,
                  trend=r.trend, reasons=list(r.reasons), computed_at=now)
    row = session.scalar(select(EntityRisk).where(EntityRisk.entity == entity, EntityRisk.day == day))
    if row is None:
        row = EntityRisk(entity=entity, day=day, **fields)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
            return row
        except IntegrityError:  # another replica wrote the day first: update its row
            row = session.scalars(select(EntityRisk).where(EntityRisk.entity == entity, EntityRisk.day == day)).one()
    for k, v in fields.items():
        setattr(row, k, v)
    session.flush()
    return row


def refresh(session: Session, entity: str, days: int, now: datetime, tz: tzinfo) -> list[EntityRisk]:
    """Recompute and store the last `days` days of the entity's index (today included, so far), oldest first."""
    today = now.astimezone(tz).date()
    first = today - timedelta(days=days - 1)
    by_day = _items_by_day(session, entity, first - timedelta(days=TREND_DAYS), today, tz)
    out = []
    for k in range(days):
        day = first + timedelta(days=k)
        before = [sum(i.negative for i in by_day.get(day - timedelta(days=d), [])) for d in range(TREND_DAYS, 0, -1)]
        out.append(_store(session, entity, day, risk_of_day(by_day.get(day, []), before, severity), now))
    return out


def top_stories(session: Session, entity: str, since: datetime, limit: int = 5) -> list[Story]:
    """The entity's most engaging negative items since then (reposts of one story counted once)."""
    engagement = Item.views / 100 + Item.reposts + Item.comments + Item.likes
    rows = session.execute(
        select(Item, Source.name).join(Source, Source.id == Item.source_id)
        .join(Incident, Incident.id == Item.incident_id)
        .where(Incident.brand == entity, Incident.is_drill.is_(False), Item.negative.is_(True),
               Item.duplicate_of_id.is_(None), _seen_at() >= since)
        .order_by(engagement.desc(), Item.id.desc()).limit(limit)
    ).all()
    return [Story(i.title or i.text[:80], i.url, name, i.published_at, i.reposts + i.comments + i.likes
                  + i.views // 100) for i, name in rows]


def as_record(row: EntityRisk) -> dict:
    """One day of the series as the CLI and the API give it."""
    return {"day": row.day.isoformat(), "index": row.index, "volume": row.volume, "negative": row.negative,
            "negative_share": round(row.negative / row.volume, 3) if row.volume else 0.0,
            "severity": row.severity, "authority": row.authority, "trend": row.trend, "reasons": list(row.reasons)}
