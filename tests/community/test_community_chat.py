"""Community chats as a source: signed im.message.receive_v1 events over the real HTTP intake, through the inbox
worker, become items of the feishu_chat source; the alert reaches the crisis chat through the real lark-oapi
client and never the community chat; attachments are noted; old message text is deleted by the retention job."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.config import ConfigError, parse_config
from bot.feishu.client import FeishuClient
from bot.models import Item
from handlers.app import ChatOps
from handlers.http_server import HttpServer
from handlers.routes import build_routes
from jobs.deliver import deliver_due
from jobs.retention import purge_community_text
from tests.builders.feishu_events import message_event
from tests.handlers.conftest import chat_env, post, wait_for  # noqa: F401 (fixture)

COMMUNITY, CRISIS = "oc_community_vip", "oc_crisis"
CONFIG = {
    "sources": [{"name": "vip-group", "kind": "feishu_chat", "chats": [COMMUNITY], "retention_days": 30}],
    "brands": [{"name": "星河消费金融", "aliases": ["星河分期"]}],
    "alerting": {"chats": {"crisis": CRISIS}, "routes": {"default": ["crisis"]}},
    "team": {"members": [{"open_id": "ou_zhang", "name": "张三", "role": "lead"}]},
}


@pytest.fixture
def crt(make_runtime, feishu, chat_env):
    return make_runtime({**CONFIG, "feishu": {"domain": feishu.url}}, env=chat_env)


@pytest.fixture
def server(crt):
    chat = ChatOps(crt).start()
    srv = HttpServer("127.0.0.1", 0, build_routes(crt, chat)).start()
    yield srv
    srv.stop()
    chat.close()


def member_says(server, clock, text: str, sender: str = "ou_member1", sender_type: str = "user", **message) -> None:
    doc = message_event(text, sender, chat_id=COMMUNITY, at_bot=False, sender_type=sender_type)
    doc["event"]["message"].update(create_time=str(int(clock.now().timestamp() * 1000)), **message)
    assert post(server, doc).status_code == 200


def items(rt) -> list[Item]:
    with rt.sessions() as s:
        return list(s.scalars(select(Item).order_by(Item.id)))


def test_community_messages_become_items_and_alerts_go_to_the_crisis_chat_only(crt, server, feishu, clock):
    client = FeishuClient(crt.loaded.secrets.app_id, crt.loaded.secrets.app_secret.get_secret_value(), feishu.url)
    for i in range(3):
        member_says(server, clock, f"星河分期暴力催收，爆通讯录骚扰我家人，大家小心（{i}）", sender=f"ou_member{i}")
    member_says(server, clock, "/status")  # a command typed in the community is a message like any other
    member_says(server, clock, "", message_type="image", content=json.dumps({"image_key": "img_v2_abc"}))
    member_says(server, clock, "", message_type="file", content=json.dumps({"file_key": "f_1", "file_name": "合同.pdf"}))
    wait_for(lambda: len(items(crt)) == 6, timeout=30)
    rows = items(crt)
    assert [r.author for r in rows[:3]] == ["ou_member0", "ou_member1", "ou_member2"]
    assert {r.platform for r in rows} == {"community"}
    assert [r.text for r in rows[3:]] == ["/status", "[图片]", "[文件：合同.pdf]"]
    assert rows[0].incident_id is not None and rows[0].published_at == clock.now()
    clock.advance(seconds=31)
    for _ in range(3):
        deliver_due(crt, client)
        clock.advance(seconds=2)
    [card] = feishu.in_chat(CRISIS)
    assert "星河消费金融" in card.content["header"]["title"]["content"] and "社群" in card.text
    assert [m for m in feishu.messages if m.chat_id == COMMUNITY] == []  # nothing goes back: no card, no reply


def test_a_resent_event_is_stored_once_and_bots_are_not_members(crt, server, clock):
    doc = message_event("星河分期客服态度恶劣", "ou_member1", chat_id=COMMUNITY, at_bot=False)
    assert post(server, doc).status_code == 200
    assert post(server, doc).status_code == 200
    member_says(server, clock, "我是机器人的消息", sender="ou_bot", sender_type="app")
    member_says(server, clock, "星河分期还款失败")  # the worker takes messages in order: this one comes last
    wait_for(lambda: len(items(crt)) == 2, timeout=30)
    assert [i.text for i in items(crt)] == ["星河分期客服态度恶劣", "星河分期还款失败"]


def test_retention_deletes_old_message_text(crt, server, clock):
    member_says(server, clock, "星河分期的利息太高了")
    wait_for(lambda: len(items(crt)) == 1, timeout=30)
    clock.advance(days=29)
    assert purge_community_text(crt) == 0
    clock.advance(days=2)
    assert purge_community_text(crt) == 1
    [row] = items(crt)
    assert (row.title, row.text, row.author) == ("", "", "ou_member1") and row.brands  # the analysis stays
    assert purge_community_text(crt) == 0


@pytest.mark.parametrize("data, path, reason", [
    ({"sources": [{"name": "g", "kind": "feishu_chat", "chats": []}]}, "sources[0].chats", "at least 1"),
    ({"sources": [{"name": "g", "kind": "feishu_chat", "chats": ["群1"]}]}, "sources[0].chats", "chat_id"),
    ({"sources": [{"name": "g", "kind": "feishu_chat", "chats": ["oc_a"], "retention_days": 0}]},
     "sources[0].retention_days", "greater than"),
    ({"sources": [{"name": "g", "kind": "feishu_chat", "chats": ["oc_a"]}], "alerting": {"chats": {"crisis": "oc_a"}}},
     "sources[0].chats[0]", "never go back"),
])
def test_community_source_mistakes_name_their_path(data, path, reason):
    with pytest.raises(ConfigError) as err:
        parse_config(data)
    assert any(p == path and reason in r for p, r in err.value.problems), err.value.problems
