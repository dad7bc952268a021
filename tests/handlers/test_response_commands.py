"""Response discipline from the chat: /oncall, /assess and /statement (and /note 研判 …), /report and /drill,
through the dispatcher as Feishu delivers them, and once over the signed HTTP intake."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.db import transaction
from bot.feishu.events import parse_event
from bot.models import Delivery, Escalation, Incident, IncidentEvent
from handlers.app import ChatOps
from jobs.deliver import deliver_due
from jobs.escalate import run_escalations
from tests.builders.feishu_events import message_event
from tests.builders.incidents import CONFIG, make_incident
from tests.handlers.conftest import post, wait_for

ROTA = {"rotation": "weekly", "start": "2026-11-23", "leads": ["ou_li"],
        "members": [{"open_id": "ou_zhang", "name": "张三"}, {"open_id": "ou_wang", "name": "王五"}]}


@pytest.fixture
def rt(make_runtime, feishu, chat_env):
    return make_runtime({**CONFIG, "feishu": {"domain": feishu.url}, "response": {"rota": ROTA}}, env=chat_env)


@pytest.fixture
def chat(rt):
    return ChatOps(rt)


def say(chat, text: str, sender: str = "ou_zhang", **kw):
    """One message through the dispatcher, as the intake hands it over."""
    return chat.dispatcher.handle_message(parse_event(message_event(text, sender, **kw)))


def events(rt, iid: int) -> list[tuple[str, str]]:
    with rt.sessions() as s:
        return [(e.kind, e.text) for e in s.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == iid)
                                                     .order_by(IncidentEvent.id))]


def test_oncall_now_and_next(chat, clock):
    reply = say(chat, "/值班", sender="ou_nobody")  # anyone may ask
    assert reply.text.splitlines() == ["🧑‍💻 当前值班：张三（备班 王五），负责人 李四",
                                       "下一班（11-30 09:00 起）：王五（备班 张三）"]
    clock.advance(days=7)
    assert say(chat, "/oncall").text.startswith("🧑‍💻 当前值班：王五（备班 张三）")
    assert say(chat, "/oncall now").text == "多余的参数「now」。用法：/oncall（值班）"


def test_assessment_and_statement_meet_their_deadlines_and_stop_the_reminders(chat, rt, clock):
    now = clock.now()
    with transaction(rt.sessions) as s:
        iid = make_incident(s, now, grade="重大", state="acknowledged").id
        s.get(Incident, iid).acknowledged_at = now
    assert say(chat, f"/assess {iid} 系个案，已联系用户").text == f"#{iid} 已记录研判"
    assert say(chat, f"/研判 {iid} 补充：无扩散").text == f"#{iid} 已补充研判"
    clock.advance(minutes=90)  # past the 1 h assessment deadline: nothing to remind
    assert run_escalations(rt).fired == 0
    clock.advance(minutes=35)  # past the 2 h statement deadline: the owner is reminded
    assert run_escalations(rt).fired == 1
    assert say(chat, f"/note {iid} 声明：https://example.com/statement").text == f"#{iid} 已记录声明"
    clock.advance(minutes=15)
    assert run_escalations(rt).fired == 0  # the statement's second step does not fire any more
    with rt.sessions() as s:
        inc = s.get(Incident, iid)
        assert inc.assessed_at == now and inc.statement_at == now + timedelta(minutes=125)
        due = int((now + timedelta(hours=2)).timestamp())
        assert [e.step for e in s.scalars(select(Escalation))] == [f"statement.1@{due}"]
    assert [k for k, _ in events(rt, iid)] == ["assessed", "note", "escalated", "statement"]
    assert events(rt, iid)[0][1] == "研判：系个案，已联系用户"
    assert events(rt, iid)[3][1] == "声明：https://example.com/statement"


def test_in_the_thread_the_id_may_be_left_out_and_closed_incidents_refuse(chat, rt, clock):
    with transaction(rt.sessions) as s:
        iid = make_incident(s, clock.now(), card_message_id="om_card").id
        done = make_incident(s, clock.now(), state="resolved", n=2).id
    assert say(chat, "声明 已在官微发布", root_id="om_card").text == f"#{iid} 已记录声明"
    assert say(chat, f"/assess {done}").text == f"#{done} 已解决：已关闭，不能记录研判；如需继续处理请先重开"
    assert say(chat, "/assess 12 x", sender="ou_nobody").text.startswith("抱歉，你不在值班团队名单中")


def test_report_is_the_review_card_in_the_thread(chat, rt, clock):
    with transaction(rt.sessions) as s:
        iid = make_incident(s, clock.now(), grade="重大").id
    say(chat, f"/ack {iid}")
    say(chat, f"/note {iid} #教训 夜间值班响应慢")
    reply = say(chat, f"/复盘 {iid}", sender="ou_nobody")  # anyone may read the review
    assert reply.card["header"]["title"]["content"].find(f"#{iid}") >= 0
    assert "夜间值班响应慢" in str(reply.card)
    with rt.sessions() as s:
        row = s.scalars(select(Delivery).where(Delivery.kind == "command_reply").order_by(Delivery.id.desc())).first()
        assert row.msg_type == "interactive" and row.payload["content"] == reply.card
    assert say(chat, "/report 999").text == "没有编号为 #999 的事件"


def test_drill_is_for_leads_and_takes_the_normal_path(chat, rt, clock):
    assert say(chat, "/drill 重大").text == "抱歉，使用 /drill需要负责人权限，你目前是处置人员。"
    assert say(chat, "/drill 特大", sender="ou_li").text.startswith("级别「特大」不对")
    reply = say(chat, "/演练 一般", sender="ou_li")
    assert reply.text.startswith("🎯 演练 #1（一般）已开始")
    with rt.sessions() as s:
        inc = s.get(Incident, 1)
        assert inc.is_drill and inc.title.startswith("【演练】") and inc.policy["response"]["grades"]["一般"]["ack"] == 60
        cards = s.scalars(select(Delivery).where(Delivery.kind == "incident_card")).all()
        assert [(c.chat_id, c.incident_id) for c in cards] == [("oc_crisis", 1)]
    clock.advance(minutes=61)
    assert run_escalations(rt).fired == 1  # deadlines and escalation as for a real one


def test_help_lists_the_new_commands(chat):
    text = say(chat, "/help").text
    for usage in ("/oncall（值班）", "/assess ID [结论]（研判）", "/statement ID [文本或链接]（声明）",
                  "/report ID（复盘）", "/drill 重大|一般|轻微|违约 [企业]|VIP [客户]（演练）"):
        assert usage in text


def test_statement_over_the_signed_http_intake(rt, feishu, clock):
    from bot.feishu.client import FeishuClient
    from bot.models import IncidentMessage
    from handlers.http_server import HttpServer
    from handlers.routes import build_routes

    secrets = rt.loaded.secrets
    client = FeishuClient(secrets.app_id, secrets.app_secret.get_secret_value(), feishu.url)
    card_id = client.send("oc_crisis", "text", {"text": "card"}, "card-1").message_id
    with transaction(rt.sessions) as s:
        iid = make_incident(s, clock.now(), grade="重大").id
        s.add(IncidentMessage(incident_id=iid, chat_id="oc_crisis", message_id=card_id, created_at=clock.now()))
    typed = client.reply(card_id, "text", {"text": "/statement 已发布"}, "u-1").message_id
    chat = ChatOps(rt).start()
    server = HttpServer("127.0.0.1", 0, build_routes(rt, chat)).start()
    try:  # encrypted and signed, as Feishu sends it; in the card's thread, so no id
        assert post(server, message_event("/statement 已发布", root_id=card_id, message_id=typed)).status_code == 200
        wait_for(lambda: deliver_due(rt, client).sent)
    finally:
        server.stop()
        chat.close()
    with rt.sessions() as s:
        assert s.get(Incident, iid).statement_at == clock.now()
    assert f"#{iid} 已记录声明" in [m.current.get("text", "") for m in feishu.replies_to(card_id)]
