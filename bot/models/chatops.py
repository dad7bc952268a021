from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base


class ProcessedEvent(Base):
    """A Feishu event id already handled: Feishu redelivers, the primary key keeps it to once."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    received_at: Mapped[datetime]


class Silence(Base):
    """A mute on a brand, source or keyword between two times; expired by moving ends_at, never deleted."""

    __tablename__ = "silences"

    id: Mapped[int] = mapped_column(primary_key=True)
    matcher: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text, default="")
