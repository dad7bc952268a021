from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base


class ChatSendBudget(Base):
    """A chat's send budget (GCRA theoretical arrival time), shared by every delivery worker through the database."""

    __tablename__ = "chat_send_budgets"

    chat_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    tat: Mapped[datetime]
