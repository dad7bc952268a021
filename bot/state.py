"""Incident state: one pure transition table owns every rule.

    待认领 triggered ──ack──▶ 已认领 acknowledged ──assign──▶ 处理中 in_progress (assign again = hand over)
         │  └──assign──────────────────────────────────────▶ │
         └──resolve / fp──▶ 已解决 resolved / 误报 false_positive ◀──resolve / fp──┘
    resolved / false_positive ──reopen──▶ triggered
Notes and regrades are allowed in every state and do not change it.
"""
from enum import StrEnum


class State(StrEnum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    FALSE_POSITIVE = "false_positive"

    @property
    def label(self) -> str:
        return LABELS[self]

    @property
    def is_open(self) -> bool:
        return self.value in OPEN_STATES


LABELS = {
    State.TRIGGERED: "待认领",
    State.ACKNOWLEDGED: "已认领",
    State.IN_PROGRESS: "处理中",
    State.RESOLVED: "已解决",
    State.FALSE_POSITIVE: "误报",
}


class Action(StrEnum):
    ACK = "ack"
    ASSIGN = "assign"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    REGRADE = "regrade"
    NOTE = "note"
    MARK_FP = "fp"

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS = {
    Action.ACK: "认领", Action.ASSIGN: "指派", Action.RESOLVE: "解决", Action.REOPEN: "重开",
    Action.REGRADE: "定级", Action.NOTE: "备注", Action.MARK_FP: "标记误报",
}


class InvalidTransition(Exception):
    """The action is not allowed in the incident's current state; `reason` is fit to show in the chat."""

    def __init__(self, state: State, action: Action, reason: str):
        self.state, self.action, self.reason = state, action, reason
        super().__init__(reason)


_OPEN = (State.TRIGGERED, State.ACKNOWLEDGED, State.IN_PROGRESS)
_CLOSED = (State.RESOLVED, State.FALSE_POSITIVE)
# the stored values, for queries: the one definition of "open" and "closed"
OPEN_STATES: tuple[str, ...] = tuple(s.value for s in _OPEN)
CLOSED_STATES: tuple[str, ...] = tuple(s.value for s in _CLOSED)

TABLE: dict[tuple[State, Action], State] = {
    (State.TRIGGERED, Action.ACK): State.ACKNOWLEDGED,
    **{(s, Action.ASSIGN): State.IN_PROGRESS for s in _OPEN},
    **{(s, Action.RESOLVE): State.RESOLVED for s in _OPEN},
    **{(s, Action.MARK_FP): State.FALSE_POSITIVE for s in _OPEN},
    **{(s, Action.REOPEN): State.TRIGGERED for s in _CLOSED},
    **{(s, Action.NOTE): s for s in State},
    **{(s, Action.REGRADE): s for s in State},
}


def refusal(state: State, action: Action) -> str:
    """Why `action` is refused in `state`, in words for the chat (the service adds who and which)."""
    if action is Action.ACK and state.is_open:
        return "已被认领，无需重复认领"
    if action is Action.REOPEN:
        return "仍在处理中，无需重开"
    return f"已关闭，不能{action.label}；如需继续处理请先重开"


def transition(state: State, action: Action) -> State:
    """The state after `action`, or InvalidTransition with a reason for the chat."""
    try:
        return TABLE[(state, action)]
    except KeyError:
        raise InvalidTransition(state, action, f"事件{state.label}：{refusal(state, action)}") from None
