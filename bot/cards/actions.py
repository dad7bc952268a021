"""Card button actions and their callback values, defined once for the renderer and the handler.

A value is a JSON object (Feishu's SDK rejects a string): `{"a": "ack", "id": 42, "v": 1}`, plus
`"grade"` for regrade buttons. `decode_action` refuses anything else with a reason.
"""
from dataclasses import dataclass
from enum import StrEnum

VERSION = 1


class CardAction(StrEnum):
    ACK = "ack"
    ASSIGN = "assign"
    RESOLVE = "resolve"
    FALSE_POSITIVE = "fp"
    REGRADE = "grade"
    REOPEN = "reopen"


@dataclass(frozen=True)
class ButtonValue:
    action: CardAction
    incident_id: int
    grade: str | None = None


class BadActionValue(ValueError):
    """A card callback value that is not one of ours."""


def encode_action(action: CardAction, incident_id: int, grade: str | None = None) -> dict:
    value = {"a": action.value, "id": incident_id, "v": VERSION}
    if grade is not None:
        value["grade"] = grade
    return value


def decode_action(value: object) -> ButtonValue:
    if not isinstance(value, dict):
        raise BadActionValue("button value is not an object")
    if value.get("v") != VERSION:
        raise BadActionValue(f"button value version {value.get('v')!r} is not {VERSION}")
    try:
        action = CardAction(str(value.get("a")))
    except ValueError:
        raise BadActionValue(f"unknown button action {value.get('a')!r}") from None
    incident_id = value.get("id")
    if not isinstance(incident_id, int) or isinstance(incident_id, bool) or incident_id <= 0:
        raise BadActionValue("button value has no incident id")
    grade = value.get("grade")
    if grade is not None and not isinstance(grade, str):
        raise BadActionValue("button grade is not text")
    return ButtonValue(action, incident_id, grade)
