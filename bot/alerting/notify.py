"""The one hook every incident change goes through on its way to the chats.

Callers (the scan's incident grouping, the chat actions, the escalation jobs) describe what changed;
`on_incident_change` decides what to send (policy, routing, silences) and writes the outbox rows in the
caller's transaction.
"""
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from bot.config import Config
from bot.models import Incident


class ChangeKind(StrEnum):
    OPENED = "opened"            # a new incident
    ITEMS_ADDED = "items_added"  # new items joined it
    GRADE_UP = "grade_up"        # the automatic grade went up
    REGRADED = "regraded"        # a person set the grade
    STATE = "state"              # ack / assign / resolve / reopen / fp
    NOTE = "note"                # a note was added
    RESURGENCE = "resurgence"    # volume rose again after resolution


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    actor: str | None = None          # open_id of who did it, None for the system
    detail: dict = field(default_factory=dict)  # e.g. {"added": 3}, {"from": "一般", "to": "重大"}


def on_incident_change(session: Session, config: Config, incident: Incident, change: Change, now: datetime) -> None:
    """Queue what the chats should see about this change (new card, card update, thread reply)."""
    raise NotImplementedError("alerting: implemented by the alerting work")
