from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
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


class SilenceHold(Base):
    """What a silence held back: per incident and kind of message, how many and when (shown by /silences).

    `released_at` is set when the silence ended and the incident was looked at once more."""

    __tablename__ = "silence_holds"
    __table_args__ = (UniqueConstraint("silence_id", "incident_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    silence_id: Mapped[int] = mapped_column(ForeignKey("silences.id"), index=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    kind: Mapped[str] = mapped_column(String(20))
    count: Mapped[int] = mapped_column(default=0)
    first_at: Mapped[datetime]
    last_at: Mapped[datetime]
    released_at: Mapped[datetime | None]


class InboxEvent(Base):
    """A chat message accepted from Feishu and not yet handled: written before Feishu gets its answer, so a
    crash between the answer and the handling loses nothing (Feishu will not send it again)."""

    __tablename__ = "chat_inbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(100), unique=True)
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    received_at: Mapped[datetime]
    handled_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
