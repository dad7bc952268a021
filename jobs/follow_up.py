"""Follow-up tracking (持续监控): while an incident is open, and for `after_resolve_hours` after it is resolved,
a short update in its card's thread once per `interval_minutes` — only when there are new items.

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
from statistics import mean

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.alerting import outbox, queries
from bot.alerting.notify import Change, ChangeKind, on_incident_change
from bot.config import Config
from bot.incidents.actions import IncidentActions
from bot.incidents.drills import real_only
from bot.incidents.once import fire_once
from bot.incidents.state import State
from bot.models import Delivery, Incident, IncidentEvent, Item, Source
from bot.runtime import Runtime

log = logging.getLogger(__name__)

OPEN = [s.value for s in State if s.is_open]
MAX_TITLES = 3


@dataclass
class FollowUpReport:
    updates: int = 0
    reopened: int = 0


@dataclass(frozen=True)
class Seen:
    at: datetime  # published, else fetched
    fetched_at: datetime
    source: str
    sentiment: float | None
    title: str


def run_follow_ups(rt: Runtime) -> FollowUpReport:
    """Post the due updates and reopen resurging incidents; each incident in its own transaction."""
    cfg, now, report = rt.config.response.follow_up, rt.clock.now(), FollowUpReport()
    if not cfg.enabled:
        return report
    watched_since = now - timedelta(hours=cfg.after_resolve_hours)
    with rt.sessions() as session:
        ids = session.scalars(real_only(select(Incident.id).where(or_(
            Incident.state.in_(OPEN), (Incident.state == State.RESOLVED) & (Incident.resolved_at >= watched_since)
        ))).order_by(Incident.id)).all()
    actions = IncidentActions(rt.config)
    for incident_id in ids:
        with rt.sessions() as session, session.begin():
            updated, reopened = follow_up_incident(session, rt.config, actions, incident_id, now)
        report.updates += updated
        report.reopened += reopened
    if report.updates or report.reopened:
        log.info("follow-up: %d update(s), %d reopened on resurgence", report.updates, report.reopened)
    return report


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
    chats = queries.card_chats(session, inc.id)
    interval = timedelta(minutes=cfg.interval_minutes)
    slot = int(now.timestamp() // interval.total_seconds())
    keys = {chat: f"i{inc.id}-fu{slot}-{outbox.short_key(chat)}" for chat in chats}
    if not chats or session.scalar(select(func.count()).select_from(Delivery)
                                   .where(Delivery.uuid.in_(list(keys.values())))):
        return 0, reopened
    since = _last_update(session, inc) or inc.opened_at
    seen = _related(session, inc)
    text = update_text(inc, seen, since, interval, now)
    if text is None:
        return 0, reopened  # nothing new: no empty updates
    for chat, key in keys.items():
        outbox.enqueue(session, kind="thread_reply", chat_id=chat, msg_type="text", now=now, incident_id=inc.id,
                       key=key, payload={"content": {"text": text}, "reason": "follow_up"})
    return 1, reopened


def update_text(inc: Incident, seen: list[Seen], since: datetime, interval: timedelta, now: datetime) -> str | None:
    """The update: new items since the last one against the interval before, sentiment, new sources (pure)."""
    new = [s for s in seen if s.fetched_at > since]
    if not new:
        return None
    before = [s for s in seen if s.fetched_at <= since]
    previous = [s for s in before if s.fetched_at > since - interval]
    trend = "↑ 上升" if len(new) > len(previous) else "↓ 回落" if len(new) < len(previous) else "持平"
    state = State(inc.state).label
    lines = [f"🔄 持续监控 #{inc.id}【{inc.grade or '未定级'}】{state}：自上次更新新增 {len(new)} 条"
             f"（上一时段 {len(previous)} 条，{trend}）"]
    now_mood = _mood(new)
    if now_mood is not None:
        was = _mood(before)
        lines.append(f"情绪 {now_mood:+.2f}" + (f"（此前 {was:+.2f}，{'转差' if now_mood < was else '好转'}）"
                                               if was is not None and abs(now_mood - was) >= 0.05 else ""))
    fresh = list(dict.fromkeys(s.source for s in new if s.source not in {b.source for b in before}))
    if fresh:
        lines.append("新来源：" + "、".join(fresh))
    latest = sorted(new, key=lambda s: s.at, reverse=True)[:MAX_TITLES]
    lines.append("最新：" + "；".join(s.title[:40] for s in latest if s.title))
    return "\n".join(line for line in lines if not line.endswith("："))


def _mood(rows: list[Seen]) -> float | None:
    values = [s.sentiment for s in rows if s.sentiment is not None]
    return mean(values) if values else None


def _last_update(session: Session, inc: Incident) -> datetime | None:
    return session.scalar(select(func.max(Delivery.created_at)).where(
        Delivery.incident_id == inc.id, Delivery.uuid.like(f"i{inc.id}-fu%")))


def _related(session: Session, inc: Incident) -> list[Seen]:
    """The items of every incident of the same brand and event (this one included), and items of that event
    naming the brand that joined no incident."""
    same = set(session.scalars(select(Incident.id).where(Incident.brand == inc.brand,
                                                         Incident.event_key == inc.event_key)))
    rows = session.execute(select(func.coalesce(Item.published_at, Item.fetched_at), Item.fetched_at, Source.name,
                                  Item.sentiment, Item.title, Item.brands, Item.incident_id)
                           .join(Source, Source.id == Item.source_id)
                           .where(or_(Item.incident_id.in_(same), Item.event_key == inc.event_key))).all()
    return [Seen(at, fetched, source, sentiment, title or "")
            for at, fetched, source, sentiment, title, brands, incident_id in rows
            if incident_id in same or _names(brands, inc.brand)]


def _names(brands: list | None, brand: str) -> bool:
    return any((b.get("name") if isinstance(b, dict) else b) == brand for b in brands or [])


def _resurgence(session: Session, config: Config, actions: IncidentActions, inc: Incident, now: datetime) -> int:
    cfg = config.response.follow_up
    window_start = max(inc.resolved_at, now - timedelta(hours=cfg.resurgence_window_hours))
    count = sum(1 for s in _related(session, inc) if s.at > window_start)
    if count < cfg.resurgence_items:
        return 0
    if not fire_once(session, inc.id, f"resurgence@{int(inc.resolved_at.timestamp())}", now):
        return 0  # this resolution's resurgence was handled already
    detail = {"items": count, "window_hours": cfg.resurgence_window_hours,
              "resolved_at": inc.resolved_at.isoformat()}
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
