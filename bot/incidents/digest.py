"""The lead's daily digest: what happened, how fast the team answered, what is overdue, what people talk about.

Drills are left out everywhere (`real_only`). `load_digest` reads; the figures are plain values for
`bot.cards.digest.render_digest_card` and for a `/status` reply.
"""
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.config import Config
from bot.grades import Grade
from bot.incidents.drills import real_only
from bot.incidents.queries import Overdue, overdue_incidents
from bot.incidents.state import State
from bot.models import Incident, Item

OPEN = [s.value for s in State if s.is_open]
GRADES = ("重大", "一般", "轻微", "未定级")
TOP = 5


@dataclass(frozen=True)
class CustomerIncident:
    incident_id: int
    title: str
    grade: str | None
    tier: str
    customer: str


@dataclass(frozen=True)
class Digest:
    day: str                                  # local date, YYYY-MM-DD
    generated_at: datetime
    counts: dict[str, dict[str, int]]         # grade → state → incidents opened in 24 h or still open
    ack_median: timedelta | None              # last 7 days
    ack_n: int
    resolve_median: timedelta | None
    resolve_n: int
    overdue: list[Overdue]
    top_brands: list[tuple[str, int]]         # items in 24 h
    top_topics: list[tuple[str, int]]
    volume: list[tuple[str, str, int]]        # (hour "HH:00", grade, items) over the last 24 h
    customers: list[CustomerIncident] = field(default_factory=list)  # VIP first: listed at the top


def _median(spans: list[timedelta]) -> timedelta | None:
    return timedelta(seconds=median(s.total_seconds() for s in spans)) if spans else None


def load_digest(session: Session, config: Config, now: datetime) -> Digest:
    """The digest at `now`: the last 24 hours, and response times over the last 7 days."""
    tz = ZoneInfo(config.response.timezone)
    day_ago, week_ago = now - timedelta(hours=24), now - timedelta(days=7)
    active = session.scalars(real_only(select(Incident).where(
        or_(Incident.opened_at >= day_ago, Incident.state.in_(OPEN)))).order_by(Incident.id)).all()
    counts: dict[str, dict[str, int]] = {}
    for inc in active:
        by_state = counts.setdefault(inc.grade or "未定级", {})
        label = State(inc.state).label
        by_state[label] = by_state.get(label, 0) + 1
    week = session.scalars(real_only(select(Incident).where(Incident.opened_at >= week_ago))).all()
    acks = [i.acknowledged_at - i.opened_at for i in week if i.acknowledged_at]
    fixes = [i.resolved_at - i.opened_at for i in week if i.resolved_at and i.state == State.RESOLVED]
    late = overdue_incidents(session, config, list(active), now)
    seen = func.coalesce(Item.published_at, Item.fetched_at)
    rows = session.execute(real_only(select(seen, Incident.brand, Incident.grade, Item.topics)
                                     .join(Incident, Incident.id == Item.incident_id).where(seen >= day_ago))).all()
    start = now.astimezone(tz).replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)
    volume = Counter()
    for at, _brand, grade, _topics in rows:
        hour = int((at - start) // timedelta(hours=1))
        if 0 <= hour < 24:
            volume[(hour, grade or "未定级")] += 1
    series = [((start + timedelta(hours=h)).strftime("%H:00"), g, volume[(h, g)]) for h in range(24) for g in GRADES
              if any(volume[(k, g)] for k in range(24))]
    topics = Counter(t["name"] for *_, ts in rows for t in (ts or []) if isinstance(t, dict) and t.get("name"))
    return Digest(now.astimezone(tz).date().isoformat(), now, counts, _median(acks), len(acks), _median(fixes),
                  len(fixes), late,
                  Counter(b for _, b, _, _ in rows).most_common(TOP), topics.most_common(TOP), series,
                  customer_incidents(active))


def customer_incidents(active: list[Incident]) -> list[CustomerIncident]:
    """The incidents touching a VIP or an important partner, VIP first, then by grade."""
    ranked = [i for i in active if i.customer_tier in ("vip", "important_partner")]
    ranked.sort(key=lambda i: (i.customer_tier != "vip", -(Grade(i.grade).rank if i.grade else 0), i.id))
    return [CustomerIncident(i.id, i.title, i.grade, i.customer_tier or "", i.customer or "") for i in ranked]
