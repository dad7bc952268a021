from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base


class Label(Base):
    """A text the team labelled: /fp (误报: not negative) and /miss (漏报: negative). `yuqing train` learns from them."""

    __tablename__ = "labels"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # fp | miss
    negative: Mapped[bool]
    text: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]


class TrainedModel(Base):
    """A sentiment model `yuqing train` fitted for this deployment; the newest one is used, else the shipped one.
    Kept in the database so every replica reads the same model and an upgrade of the package keeps it."""

    __tablename__ = "sentiment_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    labels: Mapped[int]
    model: Mapped[dict] = mapped_column(JSON)
    report: Mapped[dict] = mapped_column(JSON)
