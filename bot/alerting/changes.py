"""What callers tell alerting about an incident: the kind of change, who made it, and its detail."""
from dataclasses import dataclass, field
from enum import StrEnum


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
    # e.g. {"added": 3}, {"from": "一般", "to": "重大"}, {"text": "…", "chat_id": "oc_…"} for a note
    detail: dict = field(default_factory=dict)
