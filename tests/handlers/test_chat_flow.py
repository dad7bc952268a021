"""A responder takes an alert from 待认领 to 已解决 entirely from the chat — by command and by button, over the
HTTP intake and the long connection — and the replies reach the card's thread in the fake Feishu."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.cards.actions import CardAction, encode_action
from bot.db import transaction
from bot.models import Incident, IncidentEvent, IncidentMessage
from handlers.app import ChatOps
from handlers.intake_ws import WsIntake
from jobs.deliver import deliver_due
from tests.builders.feishu_events import card_action, message_event
from tests.builders.incidents import make_incident
from tests.handlers.conftest import post, wait_for
from tests.handlers.fake_ws import FakeWsEndpoint


@pytest.fixture(params=["http", "ws"])
def send(request, chat_rt):
    """Deliver one event document through the chosen intake; returns the card callback's answer."""
    chat = ChatOps(chat_rt).start()
    if request.param == "http":
        from handlers.http_server import HttpServer
        from handlers.routes import build_routes

        server = HttpServer("127.0.0.1", 0, build_routes(chat_rt, chat)).start()
        yield lambda doc: post(server, doc).json()
        server.stop()
    else:
        endpoint = FakeWsEndpoint()
        s = chat_rt.loaded.secrets
        ws = WsIntake(s.app_id, s.app_secret.get_secret_value(), endpoint.url, chat.dispatcher, chat.worker).start()
        yield lambda doc: endpoint.ack(endpoint.push(doc))["payload"].get("data")
        ws.stop()
        endpoint.stop()
    chat.close()


def _post_card(chat_rt, client, iid: int) -> str:
    """The incident's card as the delivery worker would have posted it: a real message in the fake chat."""
    sent = client.send("oc_crisis", "text", {"text": f"incident {iid} card"}, f"card-{iid}")
    with transaction(chat_rt.sessions) as s:
        s.add(IncidentMessage(incident_id=iid, chat_id="oc_crisis", message_id=sent.message_id,
                              created_at=chat_rt.clock.now()))
    return sent.message_id


def _thread_texts(feishu, card_id: str) -> list[str]:
    return [m.current.get("text", "") for m in feishu.replies_to(card_id) if not m.uuid.startswith("u-")]


def test_by_command_in_the_cards_thread(send, chat_rt, client, feishu):
    with transaction(chat_rt.sessions) as s:
        iid = make_incident(s, chat_rt.clock.now()).id
    card_id = _post_card(chat_rt, client, iid)
    for text in ("认领", "/note 已联系投诉用户", "/resolve 用户已撤诉"):
        user_msg = client.reply(card_id, "text", {"text": text}, f"u-{text}").message_id  # typed in the thread
        send(message_event(text, root_id=card_id, message_id=user_msg))
        wait_for(lambda: deliver_due(chat_rt, client).sent)
    assert _thread_texts(feishu, card_id) == [f"#{iid} 已由 张三 认领", f"#{iid} 已记录备注",
                                              f"#{iid} 已由 张三 标记为已解决"]
    with chat_rt.sessions() as s:
        assert s.get(Incident, iid).state == "resolved"
        kinds = [e.kind for e in s.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == iid)
                                           .order_by(IncidentEvent.id))]
    assert kinds == ["ack", "note", "resolve"]


def test_by_button(send, chat_rt):
    with transaction(chat_rt.sessions) as s:
        iid = make_incident(s, chat_rt.clock.now()).id
    answer = send(card_action(encode_action(CardAction.ACK, iid)))
    assert answer["toast"]["content"] == f"#{iid} 已由 张三 认领"
    assert "认领" not in [b["text"]["content"] for b in _buttons(answer["card"]["data"])]
    answer = send(card_action(encode_action(CardAction.RESOLVE, iid)))
    assert answer["toast"] == {"type": "success", "content": f"#{iid} 已由 张三 标记为已解决"}
    assert "重开" in [b["text"]["content"] for b in _buttons(answer["card"]["data"])]
    with chat_rt.sessions() as s:
        inc = s.get(Incident, iid)
        assert (inc.state, inc.resolved_by) == ("resolved", "ou_zhang")
        assert [e.via for e in s.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == iid))] == \
            ["button", "button"]


def _buttons(card: dict) -> list[dict]:
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("tag") == "button":
                found.append(node)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(card)
    return found


def test_status_numbers(chat_rt, clock):
    """/status: the digest's content plus open, unacknowledged, owners; overdue from the response deadlines."""
    from bot.cards.terminal import render_terminal
    from handlers.console import Console

    now = clock.now()  # Monday 10:00 Shanghai
    with transaction(chat_rt.sessions) as s:
        make_incident(s, now, grade="重大", age=timedelta(minutes=20), n=1)             # ack 5 min late (15 min)
        make_incident(s, now, grade="重大", age=timedelta(minutes=5), n=2)              # not yet
        make_incident(s, now, grade="一般", age=timedelta(minutes=61), n=3)             # ack 1 min late (1 h)
        make_incident(s, now, grade="轻微", age=timedelta(hours=3), n=4)                # 4 working hours: not yet
        owned = make_incident(s, now, grade="一般", state="acknowledged", age=timedelta(hours=2), n=5)
        owned.owner, owned.acknowledged_at = "ou_wang", now
        make_incident(s, now, grade="一般", state="resolved", age=timedelta(hours=30), n=6).resolved_at = now
        make_incident(s, now, grade=None, age=timedelta(days=2), n=7)                   # ungraded: no deadline
    chat = ChatOps(chat_rt)
    lead = Console(chat, chat_rt.config.team.find("李四"), "ou_li", out=None)
    assert lead.run_line("/drill 重大").text.startswith("🎯 演练 #8（重大）已开始")
    clock.advance(minutes=30)  # the drill is overdue too, and must not show
    reply = lead.run_line("/status")
    assert reply.text == "" and reply.card["header"]["title"]["content"].startswith("舆情值班概况")
    lines = reply.card["body"]["elements"][0]["text"]["content"].splitlines()
    assert lines == ["未关闭 6 起（重大 2，一般 2，轻微 1，未定级 1）", "待认领 5 起：#1 #2 #3 #4 #7",
                     "负责人：王五 #5", "近 24 小时：新事件 5 起，新内容 0 条，关闭 1 起"]
    shown = render_terminal("interactive", reply.card)
    assert "超时未办 3 起" in shown  # #1 ack 35 min late, #2 ack 20 min late, #3 ack 31 min late
    assert "#1【重大】" in shown and "#3【一般】" in shown and "#2【重大】" in shown and "#8" not in shown
    assert "重大　待认领 2" in shown and "近 7 天响应" in shown
