"""The long connection: the real lark-oapi ws.Client against a loopback endpoint speaking its frame protocol,
feeding the same dispatcher as the HTTP intake."""
import pytest
from sqlalchemy import select

from bot.cards.actions import CardAction, encode_action
from bot.db import transaction
from bot.models import Delivery, Incident
from handlers.app import ChatOps
from handlers.intake_ws import WsIntake
from tests.builders.feishu_events import card_action, message_event
from tests.builders.incidents import make_incident
from tests.handlers.conftest import wait_for
from tests.handlers.fake_ws import FakeWsEndpoint


@pytest.fixture
def endpoint():
    fake = FakeWsEndpoint()
    yield fake
    fake.stop()


@pytest.fixture
def ws_chat(chat_rt, endpoint):
    chat = ChatOps(chat_rt).start()
    s = chat_rt.loaded.secrets
    ws = WsIntake(s.app_id, s.app_secret.get_secret_value(), endpoint.url, chat.dispatcher, chat.worker).start()
    yield chat
    ws.stop()
    chat.close()


def test_discovery_ping_and_a_command_over_the_long_connection(ws_chat, chat_rt, endpoint):
    with transaction(chat_rt.sessions) as s:
        iid = make_incident(s, chat_rt.clock.now()).id
    doc = message_event(f"/ack {iid}")
    frame_id = endpoint.push(doc)
    ack = endpoint.ack(frame_id)
    assert ack["payload"]["code"] == 200 and "biz_rt" in ack["headers"]
    assert endpoint.discoveries[0]["body"]["AppID"] == chat_rt.loaded.secrets.app_id
    wait_for(lambda: endpoint.pings >= 1)
    reply = wait_for(lambda: _first_reply(chat_rt))
    assert reply.payload["content"]["text"] == f"#{iid} 已由 张三 认领"
    assert reply.reply_to == doc["event"]["message"]["message_id"]


def _first_reply(rt):
    # a fresh session per poll: one held open would keep SQLite's write lock from the worker
    with rt.sessions() as s:
        return s.scalars(select(Delivery).where(Delivery.kind == "command_reply")).first()


def test_a_button_over_the_long_connection_answers_in_the_ack(ws_chat, chat_rt, endpoint):
    with transaction(chat_rt.sessions) as s:
        iid = make_incident(s, chat_rt.clock.now()).id
    ack = endpoint.ack(endpoint.push(card_action(encode_action(CardAction.ACK, iid), operator="ou_wang")))
    assert ack["payload"]["code"] == 200
    data = ack["payload"]["data"]
    assert data["toast"] == {"type": "success", "content": f"#{iid} 已由 王五 认领"}
    assert data["card"]["type"] == "raw" and data["card"]["data"]["schema"] == "2.0"
    with chat_rt.sessions() as s:
        assert s.get(Incident, iid).state == "acknowledged"
