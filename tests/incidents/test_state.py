"""Every (state, action) pair of the transition table: allowed ones land where the diagram says, the rest
are refused with a reason fit for the chat."""
import pytest

from bot.state import Action, InvalidTransition, State, transition

S, A = State, Action
EXPECTED = {
    (S.TRIGGERED, A.ACK): S.ACKNOWLEDGED, (S.TRIGGERED, A.ASSIGN): S.IN_PROGRESS,
    (S.TRIGGERED, A.RESOLVE): S.RESOLVED, (S.TRIGGERED, A.MARK_FP): S.FALSE_POSITIVE,
    (S.TRIGGERED, A.REOPEN): None,
    (S.ACKNOWLEDGED, A.ACK): None, (S.ACKNOWLEDGED, A.ASSIGN): S.IN_PROGRESS,
    (S.ACKNOWLEDGED, A.RESOLVE): S.RESOLVED, (S.ACKNOWLEDGED, A.MARK_FP): S.FALSE_POSITIVE,
    (S.ACKNOWLEDGED, A.REOPEN): None,
    (S.IN_PROGRESS, A.ACK): None, (S.IN_PROGRESS, A.ASSIGN): S.IN_PROGRESS,
    (S.IN_PROGRESS, A.RESOLVE): S.RESOLVED, (S.IN_PROGRESS, A.MARK_FP): S.FALSE_POSITIVE,
    (S.IN_PROGRESS, A.REOPEN): None,
    **{(closed, a): None for closed in (S.RESOLVED, S.FALSE_POSITIVE)
       for a in (A.ACK, A.ASSIGN, A.RESOLVE, A.MARK_FP)},
    (S.RESOLVED, A.REOPEN): S.TRIGGERED, (S.FALSE_POSITIVE, A.REOPEN): S.TRIGGERED,
    **{(s, A.NOTE): s for s in S}, **{(s, A.REGRADE): s for s in S},
}


def test_the_expectations_cover_every_pair():
    assert set(EXPECTED) == {(s, a) for s in State for a in Action}


@pytest.mark.parametrize(("state", "action"), sorted(EXPECTED, key=str), ids=lambda v: str(v))
def test_transition(state, action):
    expected = EXPECTED[(state, action)]
    if expected is not None:
        assert transition(state, action) is expected
        return
    with pytest.raises(InvalidTransition) as exc:
        transition(state, action)
    assert exc.value.state is state and exc.value.action is action
    assert state.label in exc.value.reason and "Traceback" not in exc.value.reason
