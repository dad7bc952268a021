"""Response deadlines per grade, as pure functions of an incident's stored times, its policy and `now`.

The policy is snapshotted onto the incident when it opens (`Incident.policy["response"]`), so editing
config.yaml does not move an open incident's deadlines; incidents without a snapshot fall back to the
config. The clocks run from detection (`opened_at`, which a reopening resets) or, when the incident only
reached its grade later, from that moment: nobody can answer a 重大 deadline before the event is 重大.
轻微's acknowledgement counts working minutes only (Mon–Fri 09:00–18:00 by default).
"""
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, time, timedelta, timezone
from enum import StrEnum
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Text, case, cast, func, select
from sqlalchemy.orm import Session

from bot.config import Config
from bot.config.response import parse_hhmm
from bot.grades import NAMES, rank
from bot.models import Incident, IncidentEvent
from bot.state import CLOSED_STATES



class Kind(StrEnum):
    ACK = "ack"
    ASSESS = "assess"
    STATEMENT = "statement"

    @property
    def label(self) -> str:
        return {"ack": "认领", "assess": "研判", "statement": "官方声明"}[self.value]


@dataclass(frozen=True)
class GradePolicy:
    ack: int | None = None
    assess: int | None = None
    statement: int | None = None
    working_hours: bool = False


@dataclass(frozen=True)
class Policy:
    """The response rules an incident is held to (minutes)."""

    timezone: str = "Asia/Shanghai"
    work_days: tuple[int, ...] = (1, 2, 3, 4, 5)
    work_start: str = "09:00"
    work_end: str = "18:00"
    holidays: tuple[str, ...] = ()
    grades: dict[str, GradePolicy] = field(default_factory=dict)
    ack_steps: tuple[int, ...] = (0, 10, 20)
    reminder_steps: tuple[int, ...] = (0, 10)

    @classmethod
    def from_config(cls, config: Config) -> "Policy":
        r = config.response
        wh = r.working_hours
        return cls(r.timezone, tuple(wh.days), wh.start, wh.end, tuple(d.isoformat() for d in wh.holidays),
                   {g: GradePolicy(d.ack, d.assess, d.statement, d.working_hours) for g, d in r.deadlines.items()},
                   tuple(r.escalation.ack_steps), tuple(r.escalation.reminder_steps))

    @classmethod
    def from_dict(cls, d: dict) -> "Policy":
        return cls(d["timezone"], tuple(d["work_days"]), d["work_start"], d["work_end"], tuple(d["holidays"]),
                   {g: GradePolicy(**p) for g, p in d["grades"].items()},
                   tuple(d["ack_steps"]), tuple(d["reminder_steps"]))

    def to_dict(self) -> dict:
        return {"timezone": self.timezone, "work_days": list(self.work_days), "work_start": self.work_start,
                "work_end": self.work_end, "holidays": list(self.holidays),
                "grades": {g: asdict(gp) for g, gp in self.grades.items()},
                "ack_steps": list(self.ack_steps), "reminder_steps": list(self.reminder_steps)}


def snapshot_policy(config: Config, grade: str | None = None) -> dict:
    """What to merge into `Incident.policy` when an incident opens: `inc.policy = {**inc.policy, **snapshot}`.

    Every grade's rules are kept, so a later regrade is held to the rules in force when the incident opened."""
    return {"response": {**Policy.from_config(config).to_dict(), "grade_at_open": grade}}


def policy_of(incident_policy: dict | str | None, config: Config | Policy) -> Policy:
    """The incident's snapshotted policy, or the config's for incidents opened without one.

    `incident_policy` may be the stored JSON's text (`stored_text`): thousands of incidents share a handful of
    snapshots, and each distinct text is parsed once. `config` may be the config's Policy, made once by the caller."""
    if isinstance(incident_policy, str):
        snapped = _policy_of_text(incident_policy)
    else:
        snap = (incident_policy or {}).get("response")
        snapped = Policy.from_dict(snap) if snap else None
    if snapped is not None:
        return snapped
    return config if isinstance(config, Policy) else Policy.from_config(config)


@lru_cache(maxsize=256)
def _policy_of_text(text: str) -> Policy | None:
    snap = (json.loads(text) or {}).get("response")
    return Policy.from_dict(snap) if snap else None


def stored_text(column: Any) -> Any:
    """A JSON column read as its text (for `policy_of`, and wherever thousands of rows repeat a few values)."""
    return cast(column, Text)


class IncidentSnapshot(NamedTuple):
    """The stored times the deadlines are computed from (a named tuple: status builds thousands of them)."""

    id: int
    grade: str | None
    state: str
    opened_at: datetime
    acknowledged_at: datetime | None = None
    assessed_at: datetime | None = None
    statement_at: datetime | None = None
    resolved_at: datetime | None = None
    graded_at: datetime | None = None  # when it reached its current grade, if after opening
    owner: str | None = None
    title: str = ""
    is_drill: bool = False

    @property
    def closed(self) -> bool:
        return self.state in CLOSED_STATES

    @property
    def clock_start(self) -> datetime:
        return clock_start(self)

    @classmethod
    def of(cls, inc, graded_at: datetime | None = None) -> "IncidentSnapshot":
        return cls(inc.id, inc.grade, inc.state, inc.opened_at, inc.acknowledged_at, inc.assessed_at,
                   inc.statement_at, inc.resolved_at, graded_at, inc.owner, inc.title or "", bool(inc.is_drill))


def graded_at(events: Sequence[tuple[datetime, Mapping[str, Any]]], grade: str | None, opened_at: datetime) -> datetime | None:
    """When the grade last rose to `grade` since opening, from the timeline's (at, detail) of graded/regrade rows."""
    rises = [at for at, d in events if at >= opened_at and d.get("to") == grade
             and rank(d.get("from")) < rank(grade)]
    return max(rises) if rises else None


def _rank_of(grade: Any) -> Any:
    return case(*((grade == name, number) for name, number in ((g, rank(g)) for g in NAMES)), else_=0)


def graded_at_column() -> Any:
    """`graded_at` in SQL, a scalar subquery correlated to `incidents`: bulk reads (the status, the digest,
    escalation) get each incident's time with its row instead of reading and folding its timeline in Python.
    tests/response/test_deadlines.py holds the two to the same answers."""
    to, was = IncidentEvent.detail["to"].as_string(), IncidentEvent.detail["from"].as_string()
    return (select(func.max(IncidentEvent.at))
            .where(IncidentEvent.incident_id == Incident.id, IncidentEvent.kind.in_(("graded", "regrade")),
                   IncidentEvent.at >= Incident.opened_at, to == Incident.grade,
                   _rank_of(was) < _rank_of(Incident.grade))
            .correlate(Incident).scalar_subquery())


@dataclass(frozen=True)
class Deadline:
    kind: Kind
    due_at: datetime
    met_at: datetime | None

    @property
    def late_by(self) -> timedelta | None:
        """How late it was met (zero or more), or None while unmet."""
        return None if self.met_at is None else max(self.met_at - self.due_at, timedelta(0))


def add_working_time(start: datetime, delta: timedelta, p: Policy) -> datetime:
    """`start` plus `delta` counted only inside working hours (skipping nights, weekends, holidays)."""
    tz, opens, closes = _working_hours(p.timezone, p.work_start, p.work_end)
    at, remaining = start.astimezone(tz), delta
    day = at.date()
    for _ in range(3700):  # ten years of days: a policy always has a working day, this only bounds the loop
        if day.isoweekday() in p.work_days and not (p.holidays and day.isoformat() in p.holidays):
            begin = max(at, datetime.combine(day, opens, tz))
            end = datetime.combine(day, closes, tz)
            if begin < end:
                if remaining <= end - begin:
                    return (begin + remaining).astimezone(timezone.utc)
                remaining -= end - begin
        day += timedelta(days=1)
        at = datetime.combine(day, MIDNIGHT, tz)
    raise ValueError("no working hours in the policy")


MIDNIGHT = datetime.min.time()


@lru_cache(maxsize=16)
def _working_hours(zone: str, start: str, end: str) -> tuple[ZoneInfo, time, time]:
    return ZoneInfo(zone), parse_hhmm(start), parse_hhmm(end)


def _due(start: datetime, minutes: int, gp: GradePolicy, p: Policy) -> datetime:
    if gp.working_hours:
        return add_working_time(start, timedelta(minutes=minutes), p)
    return start + timedelta(minutes=minutes)


def clock_start(s: Any) -> datetime:
    """When the deadlines of `s` (a snapshot, or a row with the snapshot's times) start to run."""
    return max(s.opened_at, s.graded_at or s.opened_at)


def _rules(s: Any, gp: GradePolicy) -> tuple[tuple[Kind, int | None, datetime | None], ...]:
    """Each deadline kind with its minutes under `gp` and when `s` met it (None: not yet)."""
    return ((Kind.ACK, gp.ack, s.acknowledged_at or s.resolved_at), (Kind.ASSESS, gp.assess, s.assessed_at),
            (Kind.STATEMENT, gp.statement, s.statement_at))


def deadlines_for(s: IncidentSnapshot, p: Policy) -> list[Deadline]:
    """The incident's deadlines under its grade's rules, each with when it was met (None: not yet)."""
    gp = p.grades.get(s.grade or "")
    if gp is None:
        return []
    start = clock_start(s)
    return [Deadline(k, _due(start, m, gp, p), met) for k, m, met in _rules(s, gp) if m]


def overdue(s: IncidentSnapshot, deadlines: list[Deadline], now: datetime) -> list[Deadline]:
    """The deadlines of an open incident that have passed unmet at `now`."""
    if s.closed:
        return []
    return [d for d in deadlines if d.met_at is None and now >= d.due_at]


def missed_deadlines(s: Any, p: Policy, now: datetime) -> list[Deadline]:
    """`overdue(s, deadlines_for(s, p), now)` of an open incident, from anything with the snapshot's times (a
    snapshot, or a `response_rows` row with its `graded_at`), working out only the unmet deadlines' times: the
    status and the digest do this for every open incident."""
    gp = p.grades.get(s.grade or "")
    if gp is None:
        return []
    start = clock_start(s)
    late = []
    for kind, minutes, met in _rules(s, gp):
        if minutes and met is None:
            due = _due(start, minutes, gp, p)
            if now >= due:
                late.append(Deadline(kind, due, None))
    return late



def load_snapshot(session: Session, inc: Incident) -> IncidentSnapshot:
    """The incident's stored times, with when it reached its grade (from the timeline)."""
    return load_snapshots(session, [inc])[inc.id]


def load_snapshots(session: Session, incidents: Sequence[Any]) -> dict[int, IncidentSnapshot]:
    """`load_snapshot` of many incidents (objects, or rows with their columns): when each reached its grade is
    the row's own `graded_at` (rows read with `graded_at_column()`), else read in one query per thousand."""
    if incidents and hasattr(incidents[0], "graded_at"):
        return {inc.id: IncidentSnapshot.of(inc, inc.graded_at) for inc in incidents}
    graded: dict[int, datetime | None] = {}
    for start in range(0, len(incidents), 1000):  # bounded IN lists
        ids = [inc.id for inc in incidents[start:start + 1000]]
        for incident_id, at in session.execute(select(Incident.id, graded_at_column()).where(Incident.id.in_(ids))):
            graded[incident_id] = at
    return {inc.id: IncidentSnapshot.of(inc, graded.get(inc.id)) for inc in incidents}


# -- escalation -------------------------------------------------------------------------------------------
ACK_ROLES = ("值班", "备班", "负责人")        # 1st, 2nd, 3rd step after a missed acknowledgement
REMINDER_ROLES = ("处置负责人", "负责人")     # 1st, 2nd step after a missed assessment or statement


@dataclass(frozen=True)
class Step:
    """One escalation step that is due: `key` is unique per incident (the Escalation row), `text` is plain."""

    key: str
    kind: Kind
    number: int
    due_at: datetime
    targets: tuple[str, ...]  # open_ids to @-mention
    text: str


def step_key(d: Deadline, number: int) -> str:
    # the deadline's own time is part of the key: a reopening or a regrade starts a fresh chain
    return f"{d.kind.value}.{number}@{int(d.due_at.timestamp())}"


def _targets(s: IncidentSnapshot, kind: Kind, number: int, on_call) -> tuple[tuple[str, ...], str]:
    leads = tuple(m.open_id for m in on_call.leads)
    lead_names = "、".join(m.name for m in on_call.leads)
    if kind is Kind.ACK:
        person = (on_call.primary, on_call.backup, None)[number - 1]
        if number == 3:
            return leads, lead_names
        return ((person.open_id,), person.name) if person else ((), "")
    if number == 1:
        if s.owner:
            return (s.owner,), ""
        return ((on_call.primary.open_id,), on_call.primary.name) if on_call.primary else ((), "")
    return leads, lead_names


def _text(s: IncidentSnapshot, d: Deadline, number: int, name: str, targets: tuple, p: Policy, now: datetime) -> str:
    roles = ACK_ROLES if d.kind is Kind.ACK else REMINDER_ROLES
    role = roles[number - 1]
    late = int((now - d.due_at).total_seconds() // 60)
    due = d.due_at.astimezone(ZoneInfo(p.timezone)).strftime("%H:%M")
    head = f"⏰ 【{s.grade}】#{s.id} 已超过{d.kind.label}时限（{due}，已超 {late} 分钟）"
    if not targets:
        return f"{head}，但未配置{role}（config.yaml 的 response.rota），请团队立即跟进"
    who = f"{role} {name}".rstrip()
    if d.kind is Kind.ACK:
        return f"{head}，升级第 {number} 步：请{who} 立即认领处置"
    return f"{head}，请{who} 尽快完成{d.kind.label}并在群内记录"


def due_escalations(s: IncidentSnapshot, deadlines: list[Deadline], fired_steps: set[str], on_call,
                    now: datetime, policy: Policy) -> list[Step]:
    """The steps due at `now` and not fired yet; none once the deadline is met or the incident is closed.

    `on_call` is a bot.rota.OnCall. A missed ack calls the on-call again, then the backup, then the lead(s);
    a missed assessment or statement reminds the owner (else the on-call), then the lead(s)."""
    if s.closed:
        return []
    steps = []
    for d in deadlines:
        if d.met_at is not None:
            continue
        offsets = policy.ack_steps if d.kind is Kind.ACK else policy.reminder_steps
        for number, minutes in enumerate(offsets, 1):
            at = d.due_at + timedelta(minutes=minutes)
            if now < at:
                break
            key = step_key(d, number)
            if key in fired_steps:
                continue
            targets, name = _targets(s, d.kind, number, on_call)
            steps.append(Step(key, d.kind, number, at, targets, _text(s, d, number, name, targets, policy, now)))
    return steps


def next_escalation_at(s: IncidentSnapshot, deadlines: list[Deadline], fired_steps: set[str],
                       policy: Policy) -> datetime | None:
    """When `due_escalations` next has a step to fire: the earliest step not fired yet of an unmet deadline
    (None: none is left, or the incident is closed). Stored as the incident's `escalate_at`."""
    if s.closed:
        return None
    times = []
    for d in deadlines:
        if d.met_at is not None:
            continue
        offsets = policy.ack_steps if d.kind is Kind.ACK else policy.reminder_steps
        times += [d.due_at + timedelta(minutes=minutes) for number, minutes in enumerate(offsets, 1)
                  if step_key(d, number) not in fired_steps]
    return min(times, default=None)
