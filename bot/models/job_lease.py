from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base


class JobLease(Base):
    """One periodic job (a source's scan, the reminder tick, …) shared by every replica: who runs it now, until
    when, and when it is next due. See bot.leases."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    next_due_at: Mapped[datetime]
    holder: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    runs: Mapped[int] = mapped_column(default=0)
