"""The incidents' due times (`Incident.escalate_at`, `Incident.remind_at`) are never later than the ticks' decisions.

The ticks read only incidents whose due time has come, decide again with the pure functions and store the exact
next time. So every write that may change a decision sets the due time back to "look now" (the incident's
opened_at), here, in one place for all writers: a flush that inserts an incident or changes a column a decision
reads, and a flush that marks an incident's card sent (a reminder counts from it). A stale time that is too early
costs one recheck; one too late would lose an escalation. Escalations fired and reminders queued only delay the
next reminder, so they need no mark.

The marks are plain UPDATEs, not changes of the mapped object, so the delivery worker's mark does not bump the
incident's version (a person's action on it meanwhile would fail as a conflict).
"""
from collections.abc import Mapping
from datetime import datetime
from typing import cast

from sqlalchemy import Table, Update, bindparam, event, func, inspect, literal, or_, text, update
from sqlalchemy.orm import Session

from bot.models.delivery import Delivery
from bot.models.incident import Incident
from bot.state import OPEN_STATES, State

# what `deadlines.due_escalations` reads from the row (besides grading events and fired steps, which change
# with the grade or are written by the escalation tick itself); owner picks whom a step @s, marked all the same
ESCALATION_INPUTS = ("state", "grade", "opened_at", "acknowledged_at", "assessed_at", "statement_at",
                     "resolved_at", "owner", "policy")
# what `policy.reminder_reason` reads from the row; the first card's sent time is marked below
REMINDER_INPUTS = ("state",)
CARD = "incident_card"  # Outbound.INCIDENT_CARD (bot.alerting sits above the models)

INCIDENTS = cast(Table, Incident.__table__)


def recheck_statement(escalate: bool = True, remind: bool = True) -> Update:
    """An UPDATE setting the due times of the incidents it is filtered to back to "look now"."""
    values = {}
    if escalate:
        values["escalate_at"] = INCIDENTS.c.opened_at
    if remind:
        values["remind_at"] = INCIDENTS.c.opened_at
    return update(INCIDENTS).values(values)


def _changed(obj, names: tuple[str, ...]) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in names)


@event.listens_for(Session, "before_flush")
def _mark_rechecks(session: Session, _context, _instances) -> None:
    for obj in session.new:
        if isinstance(obj, Incident):
            obj.escalate_at = obj.remind_at = obj.opened_at
    cards_sent = {obj.incident_id for obj in session.new
                  if isinstance(obj, Delivery) and obj.kind == CARD and obj.status == "sent" and obj.incident_id}
    for obj in session.dirty:
        if isinstance(obj, Incident):
            if _changed(obj, ESCALATION_INPUTS):
                obj.escalate_at = obj.opened_at
            if _changed(obj, REMINDER_INPUTS):
                obj.remind_at = obj.opened_at
        elif (isinstance(obj, Delivery) and obj.kind == CARD and obj.status == "sent" and obj.incident_id
              and _changed(obj, ("status",))):
            cards_sent.add(obj.incident_id)
    if cards_sent:
        session.execute(recheck_statement(escalate=False).where(INCIDENTS.c.id.in_(sorted(cards_sent))))


def store_due(session: Session, column: str, times: Mapping[int, datetime | None]) -> None:
    """Store the exact next due times (`column`: escalate_at or remind_at) the tick decided, by incident id."""
    if not times:
        return
    assert column in ("escalate_at", "remind_at"), column
    ordered = sorted(times.items())
    if session.get_bind().dialect.name == "postgresql":
        # one statement over two arrays: an executemany of thousands of single-row updates (a tick after a start
        # looks at every open incident) cost PostgreSQL a round of parsing and planning each
        session.execute(text(
            f"UPDATE incidents SET {column} = v.due FROM unnest(CAST(:ids AS integer[]), "
            "CAST(:dues AS timestamptz[])) AS v(id, due) WHERE incidents.id = v.id"),
            {"ids": [k for k, _ in ordered], "dues": [v for _, v in ordered]})
        return
    stmt = update(INCIDENTS).where(INCIDENTS.c.id == bindparam("incident")).values({column: bindparam("due")})
    session.execute(stmt, [{"incident": k, "due": v} for k, v in ordered])


def recheck_open(session: Session) -> None:
    """On start, have the next ticks look again at the open incidents whose decisions follow the config, which may
    have changed meanwhile: for reminders every unacknowledged one (`alerting.repeat_interval`; no other state is
    reminded, `policy.next_reminder_at`), and for escalations those without a policy snapshot (one with a snapshot
    is held to the rules in force when it opened, `deadlines.policy_of`, so a restart cannot move its steps; every
    incident the bot opens has one)."""
    open_ = INCIDENTS.c.state.in_(OPEN_STATES)
    session.execute(recheck_statement(escalate=False).where(INCIDENTS.c.state == State.TRIGGERED.value))
    policy = INCIDENTS.c.policy
    if session.get_bind().dialect.name == "postgresql":
        unsnapped = policy.op("->")(literal("response")).is_(None)
    else:
        unsnapped = func.json_extract(policy, "$.response").is_(None)
    session.execute(recheck_statement(remind=False).where(open_, or_(policy.is_(None), unsnapped)))
