"""The per-chat send rate cap, kept in the database so every worker (and replica) shares one budget.

The chat's row is locked (FOR UPDATE on PostgreSQL; SQLite serialises writers) while `policy.admit` decides,
so two workers cannot both spend the last slot.
"""
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.alerting.policy import admit
from bot.models import ChatSendBudget


def reserve_send(session: Session, chat_id: str, now: datetime, rate: float, burst: int) -> datetime | None:
    """Spend one send of the chat's budget: None if it may go now, else when to try again."""
    stmt = select(ChatSendBudget).where(ChatSendBudget.chat_id == chat_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = session.scalars(stmt).first()
    if row is None:
        try:
            with session.begin_nested():
                row = ChatSendBudget(chat_id=chat_id, tat=now)
                session.add(row)
        except IntegrityError:  # another worker created it first: wait for its lock and read it
            row = session.scalars(stmt.execution_options(populate_existing=True)).one()
    decision = admit(row.tat, now, rate, burst)
    row.tat = decision.tat
    return decision.retry_at
