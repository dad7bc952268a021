"""The lead's daily digest: what happened, how fast the team answered, what is overdue, what people talk about.

Drills are left out everywhere (`real_only`). `load_digest` reads; the figures are plain values for
`bot.cards.digest.render_digest_card` and for a `/status` reply.
"""
import logging
from collections import Counter
from datetime import datetime, timedelta
from statistics import median
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.alerting.kinds import Outbound
from bot.alerting.pipeline import Outgoing, submit
from bot.cards.digest import CustomerIncident, Digest, render_digest_card
from bot.config import Config
from bot.config.response import parse_hhmm
from bot.incidents.drills import real_only
from bot.incidents.queries import overdue_incidents
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
    tz = ZoneInfo(config.response.timezone)
    day_ago, week_ago = now - timedelta(hours=24), now - timedelta(days=7)
    active = session.scalars(real_only(select(Incident).where(
        or_(Incident.opened_at >= day_ago, Incident.state.in_(OPEN_STATES)))).order_by(Incident.id)).all()
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
    volume: Counter[tuple[int, str]] = Counter()
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
                  customer_incidents(list(active)))


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


def customer_incidents(active: list[Incident]) -> list[CustomerIncident]:
    """The incidents touching a VIP or an important partner, VIP first, then by grade."""
    ranked = [i for i in active if i.customer_tier in ("vip", "important_partner")]
    ranked.sort(key=lambda i: (i.customer_tier != "vip", -(Grade(i.grade).rank if i.grade else 0), i.id))
    return [CustomerIncident(i.id, i.title, i.grade, i.customer_tier or "", i.customer or "") for i in ranked]
