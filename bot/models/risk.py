from datetime import date, datetime

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base


class EntityRisk(Base):
    """One day of a watched entity's 舆情 risk index (Asia/Shanghai days), with its parts and reasons."""

    __tablename__ = "entity_risk"
    __table_args__ = (UniqueConstraint("entity", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(100))
    day: Mapped[date]
    index: Mapped[float]
    volume: Mapped[int]
    negative: Mapped[int]
    severity: Mapped[float]
    authority: Mapped[float]
    trend: Mapped[float]
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    computed_at: Mapped[datetime]
    # when the owner was told of this day's jump: once a day, whichever replica gets there first
    alerted_at: Mapped[datetime | None]
