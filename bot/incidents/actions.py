"""What people do to incidents — ack, assign, resolve, reopen, regrade, note, mark false positive, record the
assessment (研判) and the official statement (声明) — and the system's reopening on resurgence.

Commands, card buttons and the console all call these methods. Each one checks the transition table,
changes the incident, writes its timeline row and calls the alerting hook, all in the caller's
transaction; a refused action raises InvalidTransition with a reason fit for the chat. Racing writers
are stopped by the incident's version column (StaleDataError on flush; the caller re-reads and retries).
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.alerting.notify import Change, ChangeKind, on_incident_change
from bot.config import Config
from bot.grades import Grade
from bot.labels import label_false_positive
from bot.state import Action, InvalidTransition, State, refusal, transition
from bot.models import Incident, IncidentEvent

Notify = Callable[[Session, Config, Incident, Change, datetime], None]


@dataclass(frozen=True)
class Actor:
    """Who acts, from where: `via` is command, button or console."""

    open_id: str | None
    name: str
    chat_id: str | None = None
    via: str = "command"


@dataclass(frozen=True)
class Outcome:
    incident: Incident
    message: str  # chat-ready, e.g. "#12 已由 张三 认领"


class Milestone(StrEnum):
    """A response step recorded from the chat; the value is its timeline kind."""

    ASSESSED = "assessed"
    STATEMENT = "statement"

    @property
    def label(self) -> str:
        return {"assessed": "研判", "statement": "声明"}[self.value]

    @property
    def column(self) -> str:
        return {"assessed": "assessed_at", "statement": "statement_at"}[self.value]


class UnknownIncident(LookupError):
    def __init__(self, incident_id: int):
        self.incident_id = incident_id
        super().__init__(f"没有编号为 #{incident_id} 的事件")


class IncidentActions:
    def __init__(self, config: Config, notify: Notify = on_incident_change):
        self.config = config
        self.team = config.team
        self.notify = notify

    # -- the actions ---------------------------------------------------------------------------------
    def ack(self, session: Session, incident_id: int, actor: Actor, now: datetime) -> Outcome:
        def change(inc: Incident) -> None:
            inc.acknowledged_at, inc.acknowledged_by, inc.owner = now, actor.open_id, actor.open_id

        return self._apply(session, incident_id, Action.ACK, actor, now, change, "认领了事件", {}, ChangeKind.STATE,
                           lambda inc: f"#{inc.id} 已由 {actor.name} 认领")

    def assign(self, session: Session, incident_id: int, actor: Actor, assignee: str, now: datetime) -> Outcome:
        """Hand the incident to a team member (by open_id); an unacknowledged one counts as acknowledged."""
        member = self.team.member(assignee)
        if member is None:
            state = State(self.load(session, incident_id).state)
            raise InvalidTransition(state, Action.ASSIGN, "只能指派给团队成员（config.yaml 的 team.members）")

        def change(inc: Incident) -> None:
            if inc.acknowledged_at is None:
                inc.acknowledged_at, inc.acknowledged_by = now, actor.open_id
            inc.owner, inc.assigned_at = member.open_id, now

        return self._apply(session, incident_id, Action.ASSIGN, actor, now, change, f"指派给 {member.name}",
                           {"to": member.open_id, "to_name": member.name}, ChangeKind.STATE,
                           lambda inc: f"#{inc.id} 已指派给 {member.name}")

    def resolve(self, session: Session, incident_id: int, actor: Actor, now: datetime, note: str = "") -> Outcome:
        return self._close(session, incident_id, Action.RESOLVE, actor, now, note, f"解决{'：' + note if note else ''}",
                           lambda inc: f"#{inc.id} 已由 {actor.name} 标记为已解决")

    def mark_fp(self, session: Session, incident_id: int, actor: Actor, now: datetime, reason: str = "") -> Outcome:
        """Close as a false positive; the timeline row keeps what the analysis matched, and the incident's negative
        items become "not negative" examples for `yuqing train`."""
        outcome = self._close(session, incident_id, Action.MARK_FP, actor, now, reason,
                              f"标记为误报{'：' + reason if reason else ''}",
                              lambda inc: f"#{inc.id} 已由 {actor.name} 标记为误报，已记录反馈")
        label_false_positive(session, incident_id, actor.open_id or actor.name, now)
        return outcome

    @staticmethod
    def _reopening(now: datetime) -> Callable[[Incident], None]:
        def change(inc: Incident) -> None:
            # the same (brand, event) key as the grouping uses; unique while open
            inc.open_key = f"{inc.brand}:{inc.event_key}"
            inc.resolved_at = inc.resolved_by = inc.acknowledged_at = inc.acknowledged_by = inc.owner = None
            inc.opened_at = now  # the ack deadline runs again from the reopening
        return change

    def reopen(self, session: Session, incident_id: int, actor: Actor, now: datetime) -> Outcome:
        try:
            with session.begin_nested():
                return self._apply(session, incident_id, Action.REOPEN, actor, now, self._reopening(now),
                                   "重开了事件", {}, ChangeKind.STATE, lambda inc: f"#{inc.id} 已由 {actor.name} 重开，待认领")
        except IntegrityError:
            inc = self.load(session, incident_id)
            other = session.scalar(select(Incident.id).where(Incident.open_key == f"{inc.brand}:{inc.event_key}"))
            raise InvalidTransition(State.RESOLVED, Action.REOPEN,
                                    f"同一事件已有新的 #{other} 在处理，请在 #{other} 中继续") from None

    def regrade(self, session: Session, incident_id: int, actor: Actor, grade: Grade, now: datetime) -> Outcome:
        """Set the grade by hand (any grade); automatic grading will not lower it again."""
        detail: dict = {}

        def change(inc: Incident) -> None:
            detail.update({"from": inc.grade, "to": grade.value})
            inc.grade, inc.grade_source = grade.value, "manual"

        return self._apply(session, incident_id, Action.REGRADE, actor, now, change, f"定级为 {grade.value}", detail,
                           ChangeKind.REGRADED, lambda inc: f"#{inc.id} 已由 {actor.name} 定级为{grade.value}")

    def note(self, session: Session, incident_id: int, actor: Actor, text: str, now: datetime) -> Outcome:
        # author and chat let alerting relay the note to the other chats' threads, not back to this one
        detail = {"text": text, "author": actor.name, "chat_id": actor.chat_id}
        return self._apply(session, incident_id, Action.NOTE, actor, now, lambda inc: None, text, detail,
                           ChangeKind.NOTE, lambda inc: f"#{inc.id} 已记录备注")

    def record(self, session: Session, incident_id: int, actor: Actor, milestone: "Milestone", text: str,
               now: datetime) -> Outcome:
        """Record the assessment or the statement: the first one meets its deadline (and stops its reminders),
        later ones are notes. Refused once the incident is closed."""
        inc = self.load(session, incident_id)
        state = State(inc.state)
        if not state.is_open:
            raise InvalidTransition(state, Action.NOTE,
                                    f"#{inc.id} {state.label}：已关闭，不能记录{milestone.label}；如需继续处理请先重开")
        first = getattr(inc, milestone.column) is None
        if first:
            setattr(inc, milestone.column, now)
        inc.updated_at = now
        line = f"{milestone.label}：{text}" if text else f"完成{milestone.label}"
        detail = {"text": line, "author": actor.name, "chat_id": actor.chat_id, "milestone": milestone.value,
                  "first": first}
        session.add(IncidentEvent(incident_id=inc.id, at=now, kind=milestone.value if first else Action.NOTE.value,
                                  actor=actor.open_id, actor_name=actor.name, chat_id=actor.chat_id, via=actor.via,
                                  text=line, detail=detail))
        session.flush()
        # a milestone is news for the other chats, like a note: the card is patched and the line relayed
        self.notify(session, self.config, inc, Change(ChangeKind.NOTE, actor.open_id, dict(detail)), now)
        verb = "已记录" if first else "已补充"
        return Outcome(inc, f"#{inc.id} {verb}{milestone.label}")

    def resurge(self, session: Session, incident_id: int, now: datetime, detail: dict) -> Outcome:
        """Reopen a resolved incident because its volume rose again (actor: the system), with a fresh alert."""
        system = Actor(None, "系统", None, "system")
        try:
            with session.begin_nested():
                return self._apply(session, incident_id, Action.REOPEN, system, now, self._reopening(now),
                                   f"舆情复燃：解决后新增 {detail.get('items', 0)} 条，事件重开", detail,
                                   ChangeKind.RESURGENCE, lambda inc: f"#{inc.id} 舆情复燃，已重开", "resurgence")
        except IntegrityError:
            raise InvalidTransition(State.RESOLVED, Action.REOPEN, "同一事件已有新的事件在处理") from None

    # -- shared ---------------------------------------------------------------------------------------
    def load(self, session: Session, incident_id: int) -> Incident:
        inc = session.get(Incident, incident_id)
        if inc is None:
            raise UnknownIncident(incident_id)
        return inc

    def _close(self, session, incident_id, action, actor, now, reason, text, message) -> Outcome:
        detail: dict = {"reason": reason} if reason else {}

        def change(inc: Incident) -> None:
            inc.open_key, inc.resolved_at, inc.resolved_by = None, now, actor.open_id
            if action is Action.MARK_FP:
                detail.update({"brand": inc.brand, "event_key": inc.event_key, "topics": inc.topics,
                               "grade": inc.grade, "reasons": inc.reasons})

        return self._apply(session, incident_id, action, actor, now, change, text, detail, ChangeKind.STATE, message)

    def _apply(self, session: Session, incident_id: int, action: Action, actor: Actor, now: datetime,
               change: Callable[[Incident], None], text: str, detail: dict, kind: ChangeKind,
               message: Callable[[Incident], str], event_kind: str | None = None) -> Outcome:
        inc = self.load(session, incident_id)
        before = State(inc.state)
        try:
            after = transition(before, action)
        except InvalidTransition as exc:
            raise InvalidTransition(before, action, self._why(inc, before, action)) from exc
        change(inc)
        inc.state, inc.updated_at = after.value, now
        session.add(IncidentEvent(incident_id=inc.id, at=now, kind=event_kind or action.value, actor=actor.open_id,
                                  actor_name=actor.name, chat_id=actor.chat_id, via=actor.via, text=text,
                                  detail={**detail, "from_state": before.value, "to_state": after.value}))
        session.flush()  # the version check: a racing writer that committed first makes this raise
        self.notify(session, self.config, inc, Change(kind, actor.open_id, dict(detail)), now)
        return Outcome(inc, message(inc))

    def _why(self, inc: Incident, state: State, action: Action) -> str:
        if action is Action.ACK and state.is_open and inc.owner:
            verb = "认领" if state is State.ACKNOWLEDGED else "负责处理"
            return f"#{inc.id} 已由 {self.team.name_of(inc.owner)} {verb}"
        return f"#{inc.id} {state.label}：{refusal(state, action)}"
