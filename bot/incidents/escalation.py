"""Escalation of missed response deadlines: fire the steps now due for one incident.

`bot.incidents.deadlines.due_escalations` decides from stored times. Each step is fired in one transaction:
the Escalation row (unique per incident and step), the timeline row and the thread replies that @ the
target — and, for a 重大 incident nobody acknowledged, Feishu's urgent notification (加急) per
`response.escalation.urgent`. A racing worker's insert fails inside a savepoint and it skips the step; on
PostgreSQL the incident row is locked too, so an acknowledgement committed meanwhile is seen first.
"""
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.alerting.kinds import Outbound
from bot.alerting.pipeline import Outgoing, card_chats, muting, submit
from bot.alerting.routing import incident_chats
from bot.config import Config
from bot.grades import Grade
from bot.incidents.once import fire_once
from bot.incidents.deadlines import Kind, Step, deadlines_for, due_escalations, load_snapshot, policy_of
from bot.models import Escalation, Incident, IncidentEvent
from bot.oncall import current
from bot.state import OPEN_STATES

log = logging.getLogger(__name__)

URGENT_LABELS = {"app": "应用内加急", "sms": "短信加急", "phone": "电话加急"}


def escalate_incident(session: Session, config: Config, incident_id: int, now: datetime) -> tuple[int, int]:
    """Fire the due steps of one incident under its row lock; returns (fired, skipped as already fired)."""
    inc = session.get(Incident, incident_id, with_for_update=True)
    if inc is None or inc.state not in OPEN_STATES:
        return 0, 0
    snap = load_snapshot(session, inc)
    policy = policy_of(inc.policy, config)
    done = set(session.scalars(select(Escalation.step).where(Escalation.incident_id == incident_id)))
    steps = due_escalations(snap, deadlines_for(snap, policy), done, current(config, now), now, policy)
    fired = sum(fire_step(session, config, inc, step, now) for step in steps)
    return fired, len(steps) - fired


def fire_step(session: Session, config: Config, inc: Incident, step: Step, now: datetime) -> bool:
    """Record one step, its timeline row and its thread replies; False if it had been fired already."""
    if not fire_once(session, inc.id, step.key, now):
        return False  # another worker fired it: its transaction holds the timeline row and the replies
    silence = muting(session, inc, now)  # a silenced step is fired (so it never fires late) but not sent
    session.add(IncidentEvent(incident_id=inc.id, at=now, kind="escalated", via="system",
                              text=step.text + (f"（屏蔽 #{silence.id} 生效中，未发送）" if silence else ""),
                              detail={"step": step.key, "deadline": step.kind.value, "number": step.number,
                                      "targets": list(step.targets), "held_by": silence.id if silence else None}))
    chats = tuple(card_chats(session, inc.id))
    standalone = not chats  # no card to reply under: a message of its own in the routed chats
    out = Outgoing(Outbound.ESCALATION, inc, chats=chats or incident_chats(config, inc),
                   text=step.text, mentions=step.targets, key=(step.key,), meta={"standalone": standalone})
    rows = submit(session, config, out, now)
    how = urgent_for(config, inc, step)
    if how and rows and step.targets:
        label = URGENT_LABELS[how]
        first = rows[0]  # one urgent notification per person, on the first chat's message
        assert first.chat_id is not None
        submit(session, config, Outgoing(Outbound.URGENT, inc, chats=(first.chat_id,), key=(step.key,),
                                         meta={"message_key": first.uuid, "open_ids": list(step.targets),
                                               "how": how}), now)
        session.add(IncidentEvent(incident_id=inc.id, at=now, kind="urgent", via="system",
                                  text=f"{label}：{step.text.split('，')[0]}",
                                  detail={"step": step.key, "how": how, "targets": list(step.targets)}))
    return True


def urgent_for(config: Config, inc: Incident, step: Step) -> str | None:
    """The urgent notification this step uses: only for a 重大 incident's missed acknowledgement."""
    if step.kind is not Kind.ACK or inc.grade != Grade.MAJOR or inc.acknowledged_at is not None:
        return None
    kinds = config.response.escalation.urgent
    how = kinds[step.number - 1] if step.number <= len(kinds) else "none"
    return None if how == "none" else how
