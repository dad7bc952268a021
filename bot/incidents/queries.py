"""The read side for the chat: the lead's status summary and one incident with its timeline."""
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config.team import TeamConfig
from bot.incidents.state import State
from bot.models import Incident, IncidentEvent, Item

OPEN = [s.value for s in State if s.is_open]
GRADE_ORDER = ("重大", "一般", "轻微", None)


@dataclass(frozen=True)
class Overdue:
    incident_id: int
    title: str
    grade: str | None
    waiting_minutes: int


@dataclass(frozen=True)
class StatusSummary:
    open_by_grade: dict[str | None, int]  # 重大 / 一般 / 轻微 / None (ungraded)
    unacknowledged: list[int]
    overdue: list[Overdue]
    owners: dict[str, list[int]]  # owner name → open incident ids
    opened_24h: int
    items_24h: int
    closed_24h: int

    @property
    def open_total(self) -> int:
        return sum(self.open_by_grade.values())


def status_summary(session: Session, team: TeamConfig, now: datetime) -> StatusSummary:
    """Open incidents by grade, the unacknowledged and overdue ones, who owns what, the last 24 hours."""
    rows = session.scalars(select(Incident).where(Incident.state.in_(OPEN)).order_by(Incident.id)).all()
    by_grade = Counter(r.grade for r in rows)
    unacked = [r for r in rows if r.state == State.TRIGGERED]
    overdue = []
    for r in unacked:
        waited = now - r.opened_at
        if waited > timedelta(minutes=team.ack_deadline_minutes(r.grade)):
            overdue.append(Overdue(r.id, r.title, r.grade, int(waited.total_seconds() // 60)))
    owners: dict[str, list[int]] = {}
    for r in rows:
        if r.owner:
            owners.setdefault(team.name_of(r.owner), []).append(r.id)
    since = now - timedelta(hours=24)
    return StatusSummary(
        open_by_grade={g: by_grade[g] for g in GRADE_ORDER if by_grade[g]},
        unacknowledged=[r.id for r in unacked],
        overdue=overdue,
        owners=owners,
        opened_24h=session.scalar(select(func.count()).select_from(Incident).where(Incident.opened_at >= since)) or 0,
        items_24h=session.scalar(select(func.count()).select_from(Item).where(Item.fetched_at >= since)) or 0,
        closed_24h=session.scalar(select(func.count()).select_from(Incident)
                                  .where(Incident.resolved_at >= since, Incident.state.not_in(OPEN))) or 0,
    )


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    actor_name: str | None
    via: str
    text: str


@dataclass(frozen=True)
class IncidentDetail:
    incident: Incident
    owner_name: str | None
    timeline: list[TimelineEntry]


def incident_detail(session: Session, team: TeamConfig, incident_id: int) -> IncidentDetail | None:
    """One incident and its timeline, oldest first; None if there is no such incident."""
    inc = session.get(Incident, incident_id)
    if inc is None:
        return None
    events = session.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == incident_id)
                             .order_by(IncidentEvent.at, IncidentEvent.id)).all()
    timeline = [TimelineEntry(e.at, e.kind, e.actor_name, e.via, e.text) for e in events]
    return IncidentDetail(inc, team.name_of(inc.owner) if inc.owner else None, timeline)
