from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base


class Incident(Base):
    """A group of items about one event of one brand, with its grade and response state."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand: Mapped[str] = mapped_column(String(100), index=True)
    event_key: Mapped[str] = mapped_column(String(200))
    # set while the incident is open, NULL once closed: the database keeps one open incident per (brand, event)
    open_key: Mapped[str | None] = mapped_column(String(320), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20), index=True)
    grade: Mapped[str | None] = mapped_column(String(10))
    grade_source: Mapped[str] = mapped_column(String(10), default="auto")
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    heat: Mapped[float] = mapped_column(default=0.0)
    item_count: Mapped[int] = mapped_column(default=0)
    velocity: Mapped[float] = mapped_column(default=0.0)
    engagement: Mapped[int] = mapped_column(BigInteger, default=0)
    platforms: Mapped[list] = mapped_column(JSON, default=list)
    sources: Mapped[list] = mapped_column(JSON, default=list)
    topics: Mapped[list] = mapped_column(JSON, default=list)
    sentiment: Mapped[float | None]
    is_drill: Mapped[bool] = mapped_column(default=False)
    # the highest-tier customer a post of it is by or about (config `customers`), shown in the chats only
    customer: Mapped[str | None] = mapped_column(String(100))
    customer_tier: Mapped[str | None] = mapped_column(String(20))
    # running sums of its items for grading (negative count, weighted reach, regulators, state media), so a new
    # item costs the same whatever the incident's size; NULL until the intake first tallies it
    tally: Mapped[dict | None] = mapped_column(JSON)
    policy: Mapped[dict] = mapped_column(JSON, default=dict)
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    opened_at: Mapped[datetime] = mapped_column(index=True)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    owner: Mapped[str | None] = mapped_column(String(100))
    assigned_at: Mapped[datetime | None]
    assessed_at: Mapped[datetime | None]
    statement_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None] = mapped_column(index=True)
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime]
    # when the escalation tick and the reminder tick must next look at it (NULL: nothing can fall due). Only an
    # index of the pure decisions: never later than they make something due; a write that may change them sets
    # it back to opened_at, "look now" (bot.models.due)
    escalate_at: Mapped[datetime | None] = mapped_column(index=True)
    remind_at: Mapped[datetime | None] = mapped_column(index=True)
    # bumped on every state change: two racing writers cannot both win
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class IncidentEvent(Base):
    """The timeline and audit trail of an incident: who did what, when, from where."""

    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str | None] = mapped_column(String(100))
    actor_name: Mapped[str | None] = mapped_column(String(100))
    chat_id: Mapped[str | None] = mapped_column(String(100))
    via: Mapped[str] = mapped_column(String(20), default="system")
    text: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class IncidentMessage(Base):
    """The card of an incident posted in a chat: its message id, so later changes patch it in place."""

    __tablename__ = "incident_messages"
    __table_args__ = (UniqueConstraint("incident_id", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    chat_id: Mapped[str] = mapped_column(String(100))
    message_id: Mapped[str] = mapped_column(String(100), index=True)
    created_at: Mapped[datetime]


class Escalation(Base):
    """One escalation step fired for one incident: the unique key makes each step fire once."""

    __tablename__ = "escalations"
    __table_args__ = (UniqueConstraint("incident_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    step: Mapped[str] = mapped_column(String(60))
    fired_at: Mapped[datetime]
