"""Read side of the outbox and of the cards already posted."""
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.alerting.kinds import Outbound
from bot.alerting.pipeline import ahead_for, card_chats, card_rows
from bot.models import Delivery, Escalation, IncidentMessage

__all__ = ["card_chats", "card_rows", "count_by_status", "first_card_sent_at", "items_at_last_notice",
           "last_chat_message_at", "last_notified_at", "list_deliveries", "posted_cards", "reminder_clocks",
           "unstarted_update"]

CARD, UPDATE = Outbound.INCIDENT_CARD.value, Outbound.CARD_UPDATE.value


def list_deliveries(session: Session, status: str, limit: int) -> list[Delivery]:
    stmt = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if status != "all":
        stmt = stmt.where(Delivery.status == status)
    return list(session.scalars(stmt))


def count_by_status(session: Session) -> dict[str, int]:
    return {str(k): int(v) for k, v in session.execute(
        select(Delivery.status, func.count()).group_by(Delivery.status)).all()}


def posted_cards(session: Session, incident_id: int) -> dict[str, str]:
    """chat_id → message_id of the incident's cards already in the chats."""
    ahead = ahead_for(session, incident_id)
    if ahead is not None:
        return dict(ahead.posted[incident_id])
    rows = session.execute(select(IncidentMessage.chat_id, IncidentMessage.message_id)
                           .where(IncidentMessage.incident_id == incident_id).order_by(IncidentMessage.id))
    return {str(c): str(m) for c, m in rows.all()}


def unstarted_update(session: Session, incident_id: int) -> Delivery | None:
    """The incident's card update that no worker has picked up yet (later changes fold into it)."""
    ahead = ahead_for(session, incident_id)
    if ahead is not None:
        return ahead.unstarted.get(incident_id)
    return session.scalars(select(Delivery).where(
        Delivery.incident_id == incident_id, Delivery.kind == UPDATE, Delivery.status == "pending",
        Delivery.attempts == 0)).first()


def last_notified_at(session: Session, incident_id: int) -> datetime | None:
    """When the chats last got a card or a card update about the incident."""
    ahead = ahead_for(session, incident_id)
    if ahead is not None:
        return ahead.notified_at.get(incident_id)
    return session.scalar(select(func.max(Delivery.sent_at)).where(
        Delivery.incident_id == incident_id, Delivery.kind.in_((CARD, UPDATE)), Delivery.status == "sent"))


def last_chat_message_at(session: Session, incident_id: int) -> datetime | None:
    """When the chats last heard about the incident's items: its card reaching them, or a thread notice or
    follow-up being queued (they go out at once, and the next one must not count the same items again)."""
    card = session.scalar(select(func.max(Delivery.sent_at)).where(
        Delivery.incident_id == incident_id, Delivery.kind == CARD, Delivery.status == "sent"))
    replies = session.scalar(select(func.max(Delivery.created_at)).where(
        Delivery.incident_id == incident_id, Delivery.status.in_(("pending", "sent")),
        Delivery.kind.in_((Outbound.THREAD_NOTICE.value, Outbound.FOLLOW_UP.value))))
    times: list[datetime] = [t for t in (card, replies) if t is not None]
    return max(times, default=None)


def items_at_last_notice(session: Session, incident_id: int) -> int | None:
    """The item count the chats last heard about (a sent card, or a queued thread notice or follow-up)."""
    ahead = ahead_for(session, incident_id)
    if ahead is not None:
        return ahead.noticed_items.get(incident_id)
    rows = session.scalars(select(Delivery.payload).where(
        Delivery.incident_id == incident_id,
        Delivery.kind.in_((CARD, Outbound.THREAD_NOTICE.value, Outbound.FOLLOW_UP.value))))
    counts: list[int] = [p["item_count"] for p in rows if isinstance(p, dict) and isinstance(p.get("item_count"), int)]
    return max(counts) if counts else None


def reminder_clocks(session: Session, ids: list[int]) -> dict[int, tuple[datetime | None, datetime | None]]:
    """Each incident's first card sent (as `first_card_sent_at`) and the last time the team was pinged about it:
    a reminder queued, or an escalation step fired (a resurgence is not a ping). Three queries per thousand."""
    first: dict[int | None, datetime | None] = {}
    pings: dict[int | None, list[datetime]] = {}
    for start in range(0, len(ids), 1000):  # bounded IN lists
        chunk = ids[start:start + 1000]
        for incident_id, at in session.execute(select(Delivery.incident_id, func.min(Delivery.sent_at)).where(
                Delivery.incident_id.in_(chunk), Delivery.kind == CARD, Delivery.status == "sent")
                .group_by(Delivery.incident_id)):
            first[incident_id] = at
        for stmt in (select(Delivery.incident_id, func.max(Delivery.created_at)).where(
                         Delivery.incident_id.in_(chunk), Delivery.kind == Outbound.REMINDER.value)
                     .group_by(Delivery.incident_id),
                     select(Escalation.incident_id, func.max(Escalation.fired_at)).where(
                         Escalation.incident_id.in_(chunk), ~Escalation.step.like("resurgence%"))
                     .group_by(Escalation.incident_id)):
            for incident_id, at in session.execute(stmt):
                if at is not None:
                    pings.setdefault(incident_id, []).append(at)
    return {i: (first.get(i), max(pings[i]) if i in pings else None) for i in ids}


def first_card_sent_at(session: Session, incident_id: int) -> datetime | None:
    """When the incident's first card reached a chat (the alert, for reminders and the review)."""
    return session.scalar(select(func.min(Delivery.sent_at)).where(
        Delivery.incident_id == incident_id, Delivery.kind == CARD, Delivery.status == "sent"))
