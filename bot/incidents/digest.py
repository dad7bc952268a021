"""The lead's daily digest: what happened, how fast the team answered, what is overdue, what people talk about.

Drills are left out everywhere (`real_only`). `load_digest` reads; the figures are plain values for
`bot.cards.digest.render_digest_card` and for a `/status` reply.
"""
import json
import logging
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from statistics import median
from zoneinfo import ZoneInfo

from sqlalchemy import Row, func, or_, select
from sqlalchemy.orm import Session

from bot.alerting.kinds import Outbound
from bot.alerting.pipeline import Outgoing, submit
from bot.cards.digest import CustomerIncident, Digest, render_digest_card
from bot.config import Config
from bot.config.response import parse_hhmm
from bot.db import epoch_minute
from bot.incidents.drills import real_only
from bot.incidents.deadlines import stored_text
from bot.incidents.queries import StatusSummary, overdue_incidents, response_rows, status_summary
from bot.state import OPEN_STATES, State
from bot.models import Delivery, Incident, Item
from bot.grades import SEVERE_FIRST, Grade

log = logging.getLogger(__name__)

GRADES = (*SEVERE_FIRST, "未定级")
TOP = 5


def _median(spans: list[timedelta]) -> timedelta | None:
    return timedelta(seconds=median(s.total_seconds() for s in spans)) if spans else None


def load_digest(session: Session, config: Config, now: datetime) -> Digest:
    """The digest at `now`: the last 24 hours, and response times over the last 7 days."""
    return _digest(session, config, now, _recent(session, now))


def load_status(session: Session, config: Config, now: datetime) -> tuple[Digest, StatusSummary]:
    """What `/status` shows: the digest as of now and the live summary, from one read of the incidents."""
    recent = _recent(session, now)
    digest = _digest(session, config, now, recent)
    open_rows = [r for r in recent if r.state in OPEN_STATES]
    return digest, status_summary(session, config, now, overdue=digest.overdue, open_rows=open_rows)


def _recent(session: Session, now: datetime) -> list[Row]:
    """The open incidents and those opened in the last 7 days, as `response_rows`."""
    return response_rows(session, or_(Incident.opened_at >= now - timedelta(days=7), Incident.state.in_(OPEN_STATES)))


@lru_cache(maxsize=4096)
def _topic_names(stored: str | None) -> tuple[str, ...]:
    """An item's topic names from its stored JSON text: posts repeat a few topic lists, each parsed once."""
    topics = json.loads(stored) if stored else None
    return tuple(t["name"] for t in (topics or []) if isinstance(t, dict) and t.get("name"))


def _digest(session: Session, config: Config, now: datetime, recent: list[Row]) -> Digest:
    tz = ZoneInfo(config.response.timezone)
    day_ago, week_ago = now - timedelta(hours=24), now - timedelta(days=7)
    active = [r for r in recent if r.opened_at >= day_ago or r.state in OPEN_STATES]
    counts: dict[str, dict[str, int]] = {}
    for inc in active:
        by_state = counts.setdefault(inc.grade or "未定级", {})
        label = State(inc.state).label
        by_state[label] = by_state.get(label, 0) + 1
    week = [r for r in recent if r.opened_at >= week_ago]
    acks = [i.acknowledged_at - i.opened_at for i in week if i.acknowledged_at]
    fixes = [i.resolved_at - i.opened_at for i in week if i.resolved_at and i.state == State.RESOLVED]
    late = overdue_incidents(session, config, list(active), now)
    start = now.astimezone(tz).replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)
    volume, brands, topics = _talk(session, day_ago, start)
    series = [((start + timedelta(hours=h)).strftime("%H:00"), g, volume[(h, g)]) for h in range(24) for g in GRADES
              if any(volume[(k, g)] for k in range(24))]
    return Digest(now.astimezone(tz).date().isoformat(), now, counts, _median(acks), len(acks), _median(fixes),
                  len(fixes), late, brands.most_common(TOP), topics.most_common(TOP), series,
                  customer_incidents(active))


def _talk(session: Session, since: datetime, start: datetime) -> tuple[Counter[tuple[int, str]], Counter[str],
                                                                      Counter[str]]:
    """The items seen since `since` (no drills), counted in the database: by hour from `start` and grade, by brand,
    by topic. Three grouped reads, whatever the volume."""
    seen = func.coalesce(Item.published_at, Item.fetched_at)

    def grouped(*columns):
        return session.connection().execute(real_only(select(*columns, func.count()).select_from(Item)
                                         .join(Incident, Incident.id == Item.incident_id)
                                         .where(seen >= since).group_by(*columns))).all()

    volume: Counter[tuple[int, str]] = Counter()
    first = int(start.timestamp()) // 60
    for minute, grade, n in grouped(epoch_minute(seen), Incident.grade):
        hour = (minute - first) // 60
        if 0 <= hour < 24:
            volume[(hour, grade or "未定级")] += n
    brands = Counter({brand: n for brand, n in grouped(Incident.brand)})
    topics: Counter[str] = Counter()
    for stored, n in grouped(stored_text(Item.topics)):
        for name in _topic_names(stored):
            topics[name] += n
    return volume, brands, topics


def digest_chat(config: Config) -> str | None:
    """The chat id of `response.digest.chat`, else the first chat of the default route."""
    name = config.response.digest.chat
    if name:
        return config.alerting.chats.get(name)
    chats = config.alerting.chat_ids_for(None)
    return chats[0] if chats else None


def queue_digest(session: Session, config: Config, now: datetime) -> str | None:
    """Queue today's digest card if it is due and not queued yet (one per local day); returns its key."""
    cfg = config.response
    local = now.astimezone(cfg.tz)
    if not cfg.digest.enabled or local.time() < parse_hhmm(cfg.digest.time):
        return None
    chat = digest_chat(config)
    if chat is None:
        log.warning("digest: response.digest.chat %r is not under alerting.chats; not sent", cfg.digest.chat)
        return None
    day = local.date().isoformat()
    key = Outbound.DIGEST.key(day)
    if session.scalar(select(Delivery.id).where(Delivery.uuid == key)) is not None:
        return None
    card = render_digest_card(load_digest(session, config, now))
    rows = submit(session, config, Outgoing(Outbound.DIGEST, chats=(chat,), card=card, key=(day,)), now)
    return key if rows else None


def customer_incidents(active: Sequence[Incident | Row]) -> list[CustomerIncident]:
    """The incidents touching a VIP or an important partner, VIP first, then by grade."""
    ranked = [i for i in active if i.customer_tier in ("vip", "important_partner")]
    ranked.sort(key=lambda i: (i.customer_tier != "vip", -(Grade(i.grade).rank if i.grade else 0), i.id))
    return [CustomerIncident(i.id, i.title, i.grade, i.customer_tier or "", i.customer or "") for i in ranked]
