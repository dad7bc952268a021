"""due_escalations as a table: which steps are due when, to whom, and when they stop."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.config import parse_config
from bot.incidents.deadlines import IncidentSnapshot, Policy, deadlines_for, due_escalations
from bot.rota import Member, OnCall

SH = ZoneInfo("Asia/Shanghai")
POLICY = Policy.from_config(parse_config({}))
A, B, L, O = Member("ou_a", "张三"), Member("ou_b", "李四"), Member("ou_l", "王组长"), "ou_owner"
ON_CALL = OnCall(A, B, (L,), None)


def sh(text: str) -> datetime:
    return datetime.fromisoformat(f"2026-11-23 {text}").replace(tzinfo=SH).astimezone(timezone.utc)


def snap(grade="重大", state="triggered", **times) -> IncidentSnapshot:
    owner = times.pop("owner", None)
    return IncidentSnapshot(id=7, grade=grade, state=state, opened_at=sh("10:00"), owner=owner,
                            **{k: sh(v) for k, v in times.items()})


def due(s: IncidentSnapshot, now: str, fired=(), on_call=ON_CALL):
    steps = due_escalations(s, deadlines_for(s, POLICY), set(fired), on_call, sh(now), POLICY)
    return [(st.key.split("@")[0], st.targets) for st in steps]


@pytest.mark.parametrize("s, now, expected", [
    (snap(), "10:14", []),
    (snap(), "10:15", [("ack.1", ("ou_a",))]),                           # at the deadline: the on-call again
    (snap(), "10:25", [("ack.1", ("ou_a",)), ("ack.2", ("ou_b",))]),     # +10: the backup
    (snap(), "10:35", [("ack.1", ("ou_a",)), ("ack.2", ("ou_b",)), ("ack.3", ("ou_l",))]),  # +20: the lead
    (snap(acknowledged_at="10:20"), "10:35", []),                          # acknowledged: the chain stops
    (snap(state="resolved", resolved_at="10:20"), "13:00", []),            # closed: everything stops
    # acknowledged in time, no assessment by 11:00: the owner, then +10 the lead
    (snap(acknowledged_at="10:05", owner=O), "11:00", [("assess.1", (O,))]),
    (snap(acknowledged_at="10:05", owner=O), "11:10", [("assess.1", (O,)), ("assess.2", ("ou_l",))]),
    (snap(acknowledged_at="10:05"), "11:00", [("assess.1", ("ou_a",))]),  # no owner: the on-call
    (snap(acknowledged_at="10:05", assessed_at="10:50", owner=O), "12:00", [("statement.1", (O,))]),
    (snap(acknowledged_at="10:05", assessed_at="10:50", statement_at="11:40", owner=O), "15:00", []),
    (snap("一般"), "10:59", []),
    (snap("一般"), "11:19", [("ack.1", ("ou_a",)), ("ack.2", ("ou_b",))]),
    (snap("一般", acknowledged_at="10:30"), "15:00", []),                   # 一般 has no assessment deadline
    (snap(None), "23:00", []),
])
def test_due_steps(s, now, expected):
    assert due(s, now) == expected


def test_fired_steps_are_not_due_again():
    s = snap()
    keys = [st.key for st in due_escalations(s, deadlines_for(s, POLICY), set(), ON_CALL, sh("10:25"), POLICY)]
    assert due(s, "10:35", fired=keys) == [("ack.3", ("ou_l",))]


def test_a_missing_backup_still_fires_and_says_so():
    s = snap()
    steps = due_escalations(s, deadlines_for(s, POLICY), set(), OnCall(A, None, (L,), None), sh("10:25"), POLICY)
    assert steps[1].targets == () and "未配置备班" in steps[1].text


def test_text_names_the_deadline_and_the_person():
    s = snap()
    first = due_escalations(s, deadlines_for(s, POLICY), set(), ON_CALL, sh("10:17"), POLICY)[0]
    assert first.text == "⏰ 【重大】#7 已超过认领时限（10:15，已超 2 分钟），升级第 1 步：请值班 张三 立即认领处置"


def test_a_regrade_starts_a_fresh_chain():
    before = snap("一般")
    after = IncidentSnapshot(id=7, grade="重大", state="triggered", opened_at=sh("10:00"), graded_at=sh("12:00"))
    k1 = due_escalations(before, deadlines_for(before, POLICY), set(), ON_CALL, sh("11:00"), POLICY)[0].key
    k2 = due_escalations(after, deadlines_for(after, POLICY), {k1}, ON_CALL, sh("12:15"), POLICY)[0].key
    assert k1 != k2 and k2.startswith("ack.1@")
