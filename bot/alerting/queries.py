"""Read side of the outbox and of the cards already posted."""
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.models import Delivery, Escalation, IncidentMessage

POSTING_KINDS = ("incident_card", "thread_reply", "message")


def list_deliveries(session: Session, status: str, limit: int) -> list[Delivery]:
    stmt = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if status != "all":
        stmt = stmt.where(Delivery.status == status)
    return list(session.scalars(stmt))


def count_by_status(session: Session) -> dict[str, int]:
    return dict(session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())


def posted_cards(session: Session, incident_id: int) -> dict[str, str]:
    """chat_id → message_id of the incident's cards already in the chats."""
    rows = session.execute(select(IncidentMessage.chat_id, IncidentMessage.message_id)
                           .where(IncidentMessage.incident_id == incident_id).order_by(IncidentMessage.id))
    return dict(rows.all())


def card_chats(session: Session, incident_id: int) -> list[str]:
    """The chats where the incident's card is posted or on its way (a reply there lands in its thread)."""
    rows = session.scalars(select(Delivery.chat_id).where(
        Delivery.incident_id == incident_id, Delivery.kind == "incident_card", Delivery.status != "failed")
        .order_by(Delivery.id))
    return [c for c in dict.fromkeys(rows) if c]





def card_deliveries(session: Session, incident_id: int) -> list[Delivery]:
    return list(session.scalars(select(Delivery).where(Delivery.incident_id == incident_id,
                                                       Delivery.kind == "incident_card").order_by(Delivery.id)))


def pending_card(session: Session, incident_id: int, chat_id: str) -> Delivery | None:
    """The incident's card for this chat while it is still waiting to be sent."""
    return session.scalars(select(Delivery).where(
        Delivery.incident_id == incident_id, Delivery.kind == "incident_card", Delivery.chat_id == chat_id,
        Delivery.status == "pending")).first()


def unstarted_update(session: Session, incident_id: int) -> Delivery | None:
    """The incident's card update that no worker has picked up yet (later changes fold into it)."""
    return session.scalars(select(Delivery).where(
        Delivery.incident_id == incident_id, Delivery.kind == "card_update", Delivery.status == "pending",
        Delivery.attempts == 0)).first()


def last_notified_at(session: Session, incident_id: int) -> datetime | None:
    """When the chats last got a card or a card update about the incident."""
    return session.scalar(select(func.max(Delivery.sent_at)).where(
        Delivery.incident_id == incident_id, Delivery.kind.in_(("incident_card", "card_update")),
        Delivery.status == "sent"))


def items_at_last_notice(session: Session, incident_id: int) -> int | None:
    """The item count the chats last heard about (a sent card, or a queued thread notice)."""
    rows = session.scalars(select(Delivery.payload).where(
        Delivery.incident_id == incident_id, Delivery.kind.in_(("incident_card", "thread_reply"))))
    counts = [p.get("item_count") for p in rows if isinstance(p, dict) and isinstance(p.get("item_count"), int)]
    return max(counts) if counts else None


def last_reminder_at(session: Session, incident_id: int) -> datetime | None:
    return session.scalar(select(func.max(Delivery.created_at)).where(
        Delivery.incident_id == incident_id, Delivery.kind == "thread_reply", Delivery.uuid.like(f"i{incident_id}-remind-%")))


def last_ping_at(session: Session, incident_id: int) -> datetime | None:
    """The last time the team was pinged about the incident: a reminder, or an escalation step."""
    escalated = session.scalar(select(func.max(Escalation.fired_at)).where(
        Escalation.incident_id == incident_id, ~Escalation.step.like("resurgence%")))
    return max((t for t in (last_reminder_at(session, incident_id), escalated) if t is not None), default=None)


def first_card_sent_at(session: Session, incident_id: int) -> datetime | None:
    """When the incident's first card reached a chat (the alert, for reminders and the review)."""
    return session.scalar(select(func.min(Delivery.sent_at)).where(
        Delivery.incident_id == incident_id, Delivery.kind == "incident_card", Delivery.status == "sent"))
