"""When a silence ends: look once more at the incidents it held back.

Nothing stale is replayed (no old reminder, escalation ping or follow-up): an incident that is still open
and unacknowledged gets its card (or, if its card was out before the silence, one update of it); the others
get nothing. Each hold is marked released, so this happens once, also with several replicas.
"""
import logging
from datetime import datetime

from sqlalchemy.orm import Session

from bot.alerting.pipeline import release_held
from bot.alerting.silences import unreleased_after_expiry
from bot.config import Config
from bot.models import Incident
from bot.state import State

log = logging.getLogger(__name__)


def still_due(inc: Incident) -> bool:
    return inc.state == State.TRIGGERED.value


def release_ended(session: Session, config: Config, now: datetime) -> int:
    """Release the holds of silences that have ended; returns the messages queued."""
    holds = unreleased_after_expiry(session, now)
    if not holds:
        return 0
    for h in holds:
        h.released_at = now
    session.flush()
    queued = release_held(session, config, [h.incident_id for h in holds], now, still_due)
    log.info("silences ended: %d incident(s) looked at again, %d message(s) queued",
             len({h.incident_id for h in holds}), queued)
    return queued
