from datetime import datetime

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base


class Source(Base):
    """A configured source and its scan state: conditional-GET validators, read cursors and health."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    platform: Mapped[str] = mapped_column(String(20))
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    cursor: Mapped[dict] = mapped_column(JSON, default=dict)
    last_success_at: Mapped[datetime | None]
    last_error_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    items_fetched: Mapped[int] = mapped_column(default=0)
    is_down: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
