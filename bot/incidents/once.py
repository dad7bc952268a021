"""Exactly-once steps of an incident (an escalation step, a resurgence, the repair report's request): the
`escalations` row's unique (incident, step) decides which of several workers does it."""
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.models import Escalation


def fire_once(session: Session, incident_id: int, step: str, now: datetime) -> bool:
    """Claim the step inside a savepoint; False if it was claimed already (then do nothing more for it)."""
    try:
        with session.begin_nested():
            session.add(Escalation(incident_id=incident_id, step=step, fired_at=now))
            session.flush()
    except IntegrityError:
        return False
    return True
