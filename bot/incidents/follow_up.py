"""Follow-up tracking (持续监控): while an incident is open, and for `after_resolve_hours` after it is resolved,
a short update in its card's thread once per `interval_minutes` — only when there are new items, "new" meaning
fetched after the last message the chats saw about the incident (its card or a thread reply), and never within
`alerting.group_interval` of the first card (the card itself shows those items).

"About the incident" means its own items plus, once resolved, every item of the same brand and event: the
grouping only joins open incidents, so after resolution new items open a NEW incident with the same brand and
event key. Each update's delivery uuid is the incident, the interval slot and the chat: a rerun, a restart or
a second worker cannot post it twice.

Resurgence (复燃): `resurgence_items` such items published after resolution within `resurgence_window_hours`
reopen the resolved incident (actor system, timeline row "resurgence", ChangeKind.RESURGENCE → a fresh alert).
If a newer incident already holds the event (the usual case: the scan opened it), that one is the live
incident: it gets the fresh alert and both get a "resurgence" row pointing at each other. Either way it happens
once per resolution (an Escalation row `resurgence@<resolved_at>`). False positives are not followed.
"""
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.alerting import queries
from bot.alerting.kinds import Outbound
from bot.alerting.notify import Change, ChangeKind, on_incident_change
from bot.alerting.pipeline import Outgoing, submit
from bot.config import Config
from bot.incidents.actions import IncidentActions
from bot.incidents.once import fire_once
from bot.models import Incident, IncidentEvent, Item, Source
from bot.state import State

log = logging.getLogger(__name__)

MAX_TITLES = 3


@dataclass(frozen=True)
class Seen:
    at: datetime  # published, else fetched
    fetched_at: datetime
    source: str
    negative: bool
    title: str


def follow_up_incident(session: Session, config: Config, actions: IncidentActions, incident_id: int,
                       now: datetime) -> tuple[int, int]:
    """One incident under its row lock: resurgence first, then this interval's update; (updates, reopened)."""
    inc = session.get(Incident, incident_id, with_for_update=True)
    if inc is None:
        return 0, 0
    cfg = config.response.follow_up
    reopened = 0
    if inc.state == State.RESOLVED and inc.resolved_at is not None:
        reopened = _resurgence(session, config, actions, inc, now)
    chats = tuple(queries.card_chats(session, inc.id))
    first_card = queries.first_card_sent_at(session, inc.id)
    if not chats or first_card is None or now < first_card + timedelta(seconds=config.alerting.group_interval):
        return 0, reopened
    interval = timedelta(minutes=cfg.interval_minutes)
    slot = int(now.timestamp() // interval.total_seconds())
    since = queries.last_chat_message_at(session, inc.id) or first_card
    seen = _related(session, inc)
    text = update_text(inc, seen, since, interval, now)
    if text is None:
        return 0, reopened  # nothing new: no empty updates
    rows = submit(session, config, Outgoing(Outbound.FOLLOW_UP, inc, chats=chats, text=text, key=(slot,),
                                            meta={"reason": "follow_up", "item_count": inc.item_count}), now)
    return int(bool(rows)), reopened


def update_text(inc: Incident, seen: list[Seen], since: datetime, interval: timedelta, now: datetime) -> str | None:
    """The update: new items since the chats last heard, against the interval before; negative share then and
    now; new sources; the latest titles (pure; the pipeline makes the titles inert)."""
    new = [s for s in seen if s.fetched_at > since]
    if not new:
        return None
    before = [s for s in seen if s.fetched_at <= since]
    previous = [s for s in before if s.fetched_at > since - interval]
    trend = "↑ 增多" if len(new) > len(previous) else "↓ 减少" if len(new) < len(previous) else "持平"
    state = State(inc.state).label
    lines = [f"🔄 持续监控 #{inc.id}【{inc.grade or '未定级'}】{state}：自上次消息后新增 {len(new)} 条"
             f"（此前同样时长 {len(previous)} 条，{trend}）"]
    lines.append(mood_line(_negative_share(new) or 0.0, _negative_share(before)))
    fresh = list(dict.fromkeys(s.source for s in new if s.source not in {b.source for b in before}))
    if fresh:
        lines.append("新来源：" + "、".join(fresh))
    latest = sorted(new, key=lambda s: s.at, reverse=True)[:MAX_TITLES]
    lines.append("最新：" + "；".join(s.title[:40] for s in latest if s.title))
    return "\n".join(line for line in lines if line and not line.endswith("："))


def mood_line(now_share: float, was_share: float | None) -> str:
    """The negative share of the new items, against the earlier ones, in words a lead reads at a glance."""
    line = f"负面占比 {now_share:.0%}"
    if was_share is None:
        return line
    if now_share >= was_share + 0.05:
        return f"{line}（此前 {was_share:.0%}，舆论恶化）"
    if now_share <= was_share - 0.05:
        return f"{line}（此前 {was_share:.0%}，舆论缓和）"
    return f"{line}（此前 {was_share:.0%}，基本持平）"


def _negative_share(rows: list[Seen]) -> float | None:
    return sum(s.negative for s in rows) / len(rows) if rows else None


def _related(session: Session, inc: Incident) -> list[Seen]:
    """The items of every incident of the same brand and event (this one included), and items of that event
    naming the brand that joined no incident."""
    same = set(session.scalars(select(Incident.id).where(Incident.brand == inc.brand,
                                                         Incident.event_key == inc.event_key)))
    rows = session.execute(select(func.coalesce(Item.published_at, Item.fetched_at), Item.fetched_at, Source.name,
                                  Item.negative, Item.title, Item.brands, Item.incident_id)
                           .join(Source, Source.id == Item.source_id)
                           .where(or_(Item.incident_id.in_(same), Item.event_key == inc.event_key))).all()
    return [Seen(at, fetched, source, bool(negative), title or "")
            for at, fetched, source, negative, title, brands, incident_id in rows
            if incident_id in same or _names(brands, inc.brand)]


def _names(brands: list | None, brand: str) -> bool:
    return any((b.get("name") if isinstance(b, dict) else b) == brand for b in brands or [])


def _resurgence(session: Session, config: Config, actions: IncidentActions, inc: Incident, now: datetime) -> int:
    cfg = config.response.follow_up
    resolved_at = inc.resolved_at
    assert resolved_at is not None
    window_start = max(resolved_at, now - timedelta(hours=cfg.resurgence_window_hours))
    count = sum(s.at > window_start for s in _related(session, inc))
    if count < cfg.resurgence_items:
        return 0
    if not fire_once(session, inc.id, f"resurgence@{int(resolved_at.timestamp())}", now):
        return 0  # this resolution's resurgence was handled already
    detail = {"items": count, "window_hours": cfg.resurgence_window_hours,
              "resolved_at": resolved_at.isoformat()}
    newer = session.scalar(select(Incident).where(Incident.open_key == f"{inc.brand}:{inc.event_key}"))
    if newer is None:
        actions.resurge(session, inc.id, now, detail)
        log.info("incident %s reopened on resurgence (%d items)", inc.id, count)
        return 1
    text = f"舆情复燃：解决后新增 {count} 条，新内容在 #{newer.id}"
    session.add(IncidentEvent(incident_id=inc.id, at=now, kind="resurgence", via="system", text=text,
                              detail={**detail, "live": newer.id}))
    session.add(IncidentEvent(incident_id=newer.id, at=now, kind="resurgence", via="system",
                              text=f"#{inc.id} 解决后复燃：{count} 条", detail={**detail, "earlier": inc.id}))
    newer.updated_at = now
    on_incident_change(session, config, newer, Change(ChangeKind.RESURGENCE, None, detail), now)
    log.info("incident %s resurged as #%s (%d items)", inc.id, newer.id, count)
    return 1
