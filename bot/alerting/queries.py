"""Read side of the outbox."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Delivery


def list_deliveries(session: Session, status: str, limit: int) -> list[Delivery]:
    stmt = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if status != "all":
        stmt = stmt.where(Delivery.status == status)
    return list(session.scalars(stmt))
