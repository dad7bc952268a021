"""Feishu-native escalation: a 重大 incident nobody acknowledged gets Feishu's urgent notification (加急) on the
escalation step's message, per `response.escalation.urgent`, recorded on the timeline; sent through the real
lark-oapi client to the fake Feishu."""
import uuid

import pytest
from sqlalchemy import select

from bot.feishu.client import FeishuClient
from bot.models import Delivery, IncidentEvent
from jobs.deliver import deliver_due
from jobs.escalate import run_escalations
from tests.response.conftest import ALICE, CONFIG, CRISIS, LEAD, PR, make_incident, minutes


@pytest.fixture
def client(feishu):
    return FeishuClient(f"cli_{uuid.uuid4().hex[:10]}", "secret", feishu.url, timeout=1.0)


def _run(rt, client, clock, at_minutes: float) -> None:
    clock._now = START_OF[0] + minutes(at_minutes)
    run_escalations(rt)
    for _ in range(3):
        deliver_due(rt, client)


START_OF: list = []


def _setup(make_runtime, feishu, clock, urgent):
    START_OF[:] = [clock.now()]
    cfg = {**CONFIG, "feishu": {"domain": feishu.url, "timeout": 1},
           "response": {**CONFIG["response"], "escalation": {"urgent": urgent}}}
    return make_runtime(cfg)


def test_each_ack_step_of_a_major_incident_is_made_urgent_for_its_target(make_runtime, feishu, client, clock):
    rt = _setup(make_runtime, feishu, clock, ["app", "none", "app"])
    with rt.sessions() as s, s.begin():
        iid = make_incident(s, clock.now(), grade="重大", card_chats=()).id
    for at in (16, 26, 36):
        _run(rt, client, clock, at)
    pings = [m for m in feishu.in_chat(CRISIS)]
    assert len(pings) == 3  # the three escalation messages (no card was posted: messages of their own)
    assert [(mid, how, who) for mid, how, who in feishu.urgents] == [
        (pings[0].message_id, "urgent_app", [ALICE]), (pings[2].message_id, "urgent_app", [LEAD])]
    with rt.sessions() as s:
        rows = s.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == iid, IncidentEvent.kind == "urgent")
                         .order_by(IncidentEvent.id)).all()
    assert [(r.detail["how"], r.detail["targets"]) for r in rows] == [("app", [ALICE]), ("app", [LEAD])]
    assert rows[0].text.startswith("应用内加急")


def test_no_urgent_for_a_moderate_incident_or_once_acknowledged(make_runtime, feishu, client, clock):
    rt = _setup(make_runtime, feishu, clock, ["app", "app", "app"])
    with rt.sessions() as s, s.begin():
        make_incident(s, clock.now(), grade="一般", card_chats=())
    _run(rt, client, clock, 61)
    assert len(feishu.in_chat(PR)) == 1 and feishu.urgents == []


def test_a_tenant_without_the_phone_permission_fails_that_urgent_with_a_clear_reason(
        make_runtime, feishu, client, clock):
    rt = _setup(make_runtime, feishu, clock, ["phone"])
    with rt.sessions() as s, s.begin():
        make_incident(s, clock.now(), grade="重大", card_chats=())
    _run(rt, client, clock, 16)
    assert len(feishu.in_chat(CRISIS)) == 1 and feishu.urgents == []  # the ping itself went out
    with rt.sessions() as s:
        [row] = s.scalars(select(Delivery).where(Delivery.kind == "urgent")).all()
    assert row.status == "failed" and "230027" in row.last_error and "urgent_phone" in row.last_error
