"""The read side for the chat: the lead's status summary and one incident with its timeline.

Overdue is decided by `bot.incidents.deadlines` under each incident's policy snapshot (working hours for
轻微), the same as escalation and the digest; drills are left out of every figure.
"""
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Row, func, select
from sqlalchemy.orm import Session

from bot.cards.digest import Overdue
from bot.config import Config
from bot.config.team import TeamConfig
from bot.incidents.deadlines import (Policy, graded_at_column, load_snapshots, missed_deadlines, policy_of,
                                     stored_text)
from bot.incidents.drills import real_only
from bot.state import OPEN_STATES, State
from bot.models import Incident, IncidentEvent, Item
from bot.grades import SEVERE_FIRST


GRADE_ORDER: tuple[str | None, ...] = (*SEVERE_FIRST, None)


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


def overdue_incidents(session: Session, config: Config, incidents: Sequence[Incident | Row],
                      now: datetime) -> list[Overdue]:
    """Every missed deadline of the open graded incidents (objects or `response_rows`), most late first."""
    late = []
    graded = [inc for inc in incidents if inc.state in OPEN_STATES and inc.grade]
    # rows carry their graded_at; objects get theirs from the timeline
    snapshots = {} if graded and hasattr(graded[0], "graded_at") else load_snapshots(session, graded)
    fallback = Policy.from_config(config)
    for inc in graded:
        for d in missed_deadlines(snapshots.get(inc.id, inc), policy_of(inc.policy, fallback), now):
            late.append(Overdue(inc.id, inc.title or "", inc.grade, d.kind.label,
                                int((now - d.due_at).total_seconds() // 60)))
    return sorted(late, key=lambda o: -o.late_minutes)


# what the status and the digest read of an incident: its times, grade, owner and policy, as plain rows (no ORM
# objects, none of the JSON figures, the policy as its text): thousands of open incidents cost one query and little
# else
RESPONSE_FIELDS = (Incident.id, Incident.title, Incident.brand, Incident.state, Incident.grade, Incident.owner,
                   stored_text(Incident.policy).label("policy"), Incident.is_drill, Incident.opened_at, Incident.acknowledged_at,
                   Incident.assessed_at, Incident.statement_at, Incident.resolved_at, Incident.customer,
                   Incident.customer_tier, graded_at_column().label("graded_at"))


def response_rows(session: Session, where: ColumnElement[bool]) -> list[Row]:
    """The real (not drill) incidents matching `where`, by id, as rows of RESPONSE_FIELDS."""
    # sorted here: with ORDER BY id SQLite walks the whole table in id order instead of the indexes of an OR
    # plain Core rows: the ORM's result machinery costs a third more for thousands of column rows
    rows = session.connection().execute(real_only(select(*RESPONSE_FIELDS).where(where))).all()
    return sorted(rows, key=lambda r: r.id)


def status_summary(session: Session, config: Config, now: datetime, overdue: list[Overdue] | None = None,
                   open_rows: list[Row] | None = None) -> StatusSummary:
    """Open incidents by grade, the unacknowledged and overdue ones, who owns what, the last 24 hours (no drills).
    `overdue` and `open_rows` (`response_rows` of the open incidents): when the caller has them already (the
    digest's)."""
    team = config.team
    rows = response_rows(session, Incident.state.in_(OPEN_STATES)) if open_rows is None else open_rows
    by_grade = Counter(r.grade for r in rows)
    owners: dict[str, list[int]] = {}
    for r in rows:
        if r.owner:
            owners.setdefault(team.name_of(r.owner), []).append(r.id)
    since = now - timedelta(hours=24)
    real_items = select(func.count()).select_from(Item).join(Incident, Incident.id == Item.incident_id, isouter=True)
    return StatusSummary(
        open_by_grade={g: by_grade[g] for g in GRADE_ORDER if by_grade[g]},
        unacknowledged=[r.id for r in rows if r.state == State.TRIGGERED],
        overdue=overdue_incidents(session, config, list(rows), now) if overdue is None else overdue,
        owners=owners,
        opened_24h=session.scalar(real_only(select(func.count()).select_from(Incident)
                                            .where(Incident.opened_at >= since))) or 0,
        items_24h=session.scalar(real_items.where(Item.fetched_at >= since, Incident.is_drill.is_not(True))) or 0,
        closed_24h=session.scalar(real_only(select(func.count()).select_from(Incident).where(
            Incident.resolved_at >= since, Incident.state.not_in(OPEN_STATES)))) or 0,
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
