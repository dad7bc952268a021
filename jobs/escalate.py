"""Escalation of missed response deadlines: every 30 s, per open graded incident, fire the steps now due.

`bot.incidents.deadlines.due_escalations` decides from stored times. Each step is fired in one transaction:
the Escalation row (unique per incident and step), the timeline row and the thread replies that @ the
target. A racing worker's insert fails inside a savepoint and it skips the step; on PostgreSQL the incident
row is locked too, so an acknowledgement committed meanwhile is seen before anything fires.
"""
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.alerting import outbox, queries, routing
from bot.cards.text import text_mentions
from bot.config import Config
from bot.incidents.deadlines import Step, deadlines_for, due_escalations, policy_of
from bot.incidents.once import fire_once
from bot.incidents.review import load_snapshot
from bot.incidents.state import State
from bot.models import Escalation, Incident, IncidentEvent
from bot.rota import current_on_call
from bot.runtime import Runtime
from bot.watchlists.entities import kind_route

log = logging.getLogger(__name__)

# only config-sourced open_ids of this shape are ever mentioned: never @all

OPEN = [s.value for s in State if s.is_open]


@dataclass
class EscalateReport:
    fired: int = 0
    skipped: int = 0


def run_escalations(rt: Runtime) -> EscalateReport:
    """Fire every escalation step that is due now; each incident in its own transaction."""
    report, now = EscalateReport(), rt.clock.now()
    with rt.sessions() as session:
        ids = session.scalars(select(Incident.id).where(Incident.state.in_(OPEN), Incident.grade.is_not(None))
                              .order_by(Incident.id)).all()
    for incident_id in ids:
        with rt.sessions() as session, session.begin():
            fired, skipped = escalate_incident(session, rt.config, incident_id, now)
        report.fired += fired
        report.skipped += skipped
    if report.fired:
        log.info("fired %d escalation step(s)", report.fired)
    return report


def escalate_incident(session: Session, config: Config, incident_id: int, now: datetime) -> tuple[int, int]:
    """Fire the due steps of one incident under its row lock; returns (fired, skipped as already fired)."""
    inc = session.get(Incident, incident_id, with_for_update=True)
    if inc is None or inc.state not in OPEN:
        return 0, 0
    snap = load_snapshot(session, inc)
    policy = policy_of(inc.policy, config)
    done = set(session.scalars(select(Escalation.step).where(Escalation.incident_id == incident_id)))
    steps = due_escalations(snap, deadlines_for(snap, policy), done, current_on_call(config, now), now, policy)
    fired = sum(fire_step(session, config, inc, step, now) for step in steps)
    return fired, len(steps) - fired


def fire_step(session: Session, config: Config, inc: Incident, step: Step, now: datetime) -> bool:
    """Record one step, its timeline row and its thread replies; False if it had been fired already."""
    if not fire_once(session, inc.id, step.key, now):
        return False  # another worker fired it: its transaction holds the timeline row and the replies
    session.add(IncidentEvent(incident_id=inc.id, at=now, kind="escalated", via="system", text=step.text,
                              detail={"step": step.key, "deadline": step.kind.value, "number": step.number,
                                      "targets": list(step.targets)}))
    content = {"text": "\n".join(x for x in (step.text, text_mentions(step.targets)) if x)}
    chats = queries.card_chats(session, inc.id)
    kind = "thread_reply" if chats else "message"
    for chat_id in chats or routing.chats_for(config.alerting, inc.brand, inc.grade, kind_route(config, inc.brand)):
        outbox.enqueue(session, kind=kind, chat_id=chat_id, msg_type="text", payload={"content": content},
                       now=now, incident_id=inc.id,
                       key=f"i{inc.id}-esc-{outbox.short_key(step.key, 10)}-{outbox.short_key(chat_id, 10)}")
    return True

