"""POST /feishu/events on a real HttpServer: verification, decryption, signatures, refusals, replays, and
commands and buttons answered the way Feishu expects."""
import json
import time

import pytest
from sqlalchemy import select

from bot.cards.actions import CardAction, encode_action
from bot.db import transaction
from bot.models import Delivery, Incident, IncidentEvent, ProcessedEvent
from tests.builders.feishu_events import ENCRYPT_KEY, card_action, encrypt, message_event, signed, url_verification
from tests.builders.incidents import make_incident
from tests.handlers.conftest import post, wait_for


def _incident(rt, **kw) -> int:
    with transaction(rt.sessions) as s:
        return make_incident(s, rt.clock.now(), **kw).id


def _replies(rt) -> list[Delivery]:
    with rt.sessions() as s:
        return list(s.scalars(select(Delivery).where(Delivery.kind == "command_reply").order_by(Delivery.id)))


def _reply_to(rt, message_id: str) -> str:
    row = wait_for(lambda: next((d for d in _replies(rt) if d.reply_to == message_id), None))
    content = row.payload["content"]
    if row.msg_type == "interactive":  # /status and /report answer with a card: its title stands for it
        return content["header"]["title"]["content"]
    return content["text"]


def test_url_verification_encrypted_and_plain(intake):
    server, _ = intake
    r = post(server, body=json.dumps(encrypt(url_verification("abc"))).encode(), headers={})
    assert r.status_code == 200 and r.json() == {"challenge": "abc"}
    r = post(server, body=json.dumps(url_verification("plain")).encode(), headers={})
    assert r.json() == {"challenge": "plain"}
    r = post(server, body=json.dumps(url_verification("x", token="wrong")).encode(), headers={})
    assert r.status_code == 403


@pytest.mark.parametrize("case", ["bad_signature", "missing_signature", "bad_token", "not_json", "not_object",
                                  "garbage_encrypt", "wrong_key", "not_schema2", "no_message"])
def test_refused_with_4xx_and_a_log_line(intake, chat_rt, caplog, case):
    server, chat = intake
    doc = message_event("/status")
    body, headers = json.dumps(encrypt(doc)).encode(), None
    if case == "bad_signature":
        headers = {**signed(body), "X-Lark-Signature": "0" * 64}
    elif case == "missing_signature":
        headers = {}
    elif case == "bad_token":
        body = json.dumps(encrypt(message_event("/status", token="nope"))).encode()
    elif case == "not_json":
        body = b"{not json"
    elif case == "not_object":
        body = b"[1, 2]"
    elif case == "garbage_encrypt":
        body = b'{"encrypt": "bm90IHJlYWxseQ=="}'
    elif case == "wrong_key":
        body = json.dumps(encrypt(doc, key="another-key")).encode()
    elif case == "not_schema2":
        body = json.dumps(encrypt({"token": "vt-test-token", "type": "event_callback", "event": {}})).encode()
    elif case == "no_message":
        doc["event"].pop("message")
        body = json.dumps(encrypt(doc)).encode()
    r = post(server, body=body, headers=headers if headers is not None else signed(body))
    assert 400 <= r.status_code < 500, r.text
    assert "refused" in caplog.text
    chat.worker.stop()
    assert _replies(chat_rt) == []


def test_plain_signed_events_are_accepted_too(intake, chat_rt):
    server, _ = intake
    doc = message_event("/status")
    assert post(server, doc, encrypted=False).status_code == 200
    assert "舆情值班概况" in _reply_to(chat_rt, doc["event"]["message"]["message_id"])


def test_a_command_is_acknowledged_at_once_and_answered_in_the_thread(intake, chat_rt):
    server, _ = intake
    iid = _incident(chat_rt)
    doc = message_event(f"认领 {iid}")
    started = time.monotonic()
    r = post(server, doc)
    assert r.status_code == 200 and time.monotonic() - started < 1.0
    assert _reply_to(chat_rt, doc["event"]["message"]["message_id"]) == f"#{iid} 已由 张三 认领"
    reply = _replies(chat_rt)[0]
    assert (reply.chat_id, reply.msg_type, reply.status) == ("oc_crisis", "text", "pending")


def test_a_redelivered_event_is_handled_once(intake, chat_rt):
    server, chat = intake
    iid = _incident(chat_rt)
    doc = message_event(f"/note {iid} 已联系客服")
    for _ in range(3):
        assert post(server, doc).status_code == 200
    wait_for(lambda: _replies(chat_rt))
    chat.worker.stop()  # drains the queue: every redelivery has been looked at
    with chat_rt.sessions() as s:
        notes = s.scalars(select(IncidentEvent).where(IncidentEvent.kind == "note")).all()
        assert len(notes) == 1 and notes[0].text == "已联系客服"
        assert s.get(ProcessedEvent, doc["header"]["event_id"]) is not None
    assert len(_replies(chat_rt)) == 1


def test_mentions_are_stripped_and_assign_takes_the_mentioned_member(intake, chat_rt):
    server, _ = intake
    iid = _incident(chat_rt)
    doc = message_event(f"指派 {iid} {{1}}", users=(("ou_wang", "王五"),))
    post(server, doc)
    assert _reply_to(chat_rt, doc["event"]["message"]["message_id"]) == f"#{iid} 已指派给 王五"
    with chat_rt.sessions() as s:
        assert s.get(Incident, iid).owner == "ou_wang"


def test_in_a_card_thread_the_id_may_be_left_out(intake, chat_rt):
    server, _ = intake
    iid = _incident(chat_rt, card_message_id="om_card_1")
    doc = message_event("/resolve 已发布声明", root_id="om_card_1")
    post(server, doc)
    assert "已解决" in _reply_to(chat_rt, doc["event"]["message"]["message_id"])
    with chat_rt.sessions() as s:
        ev = s.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == iid)).one()
        assert ev.text == "解决：已发布声明"


@pytest.mark.parametrize(("text", "sender", "expected"), [
    ("/akc 1", "ou_zhang", "你是不是想用 /ack"),
    ("/grade 1 重大", "ou_zhang", "需要负责人权限"),
    ("/ack 1", "ou_stranger", "不在值班团队名单中"),
    ("/ack abc", "ou_zhang", "用法：/ack [ID]"),
    ("/grade 1 超大", "ou_li", "用法：/grade ID 重大|一般|轻微"),
    ("/ack 999", "ou_zhang", "没有编号为 #999 的事件"),
    ("", "ou_zhang", "/help"),
])
def test_bad_input_gets_one_line_of_help_never_silence(intake, chat_rt, text, sender, expected):
    server, _ = intake
    _incident(chat_rt)
    doc = message_event(text, sender=sender)
    post(server, doc)
    reply = _reply_to(chat_rt, doc["event"]["message"]["message_id"])
    assert expected in reply and "Traceback" not in reply


def test_chatter_and_the_bots_own_messages_are_ignored(intake, chat_rt):
    server, chat = intake
    post(server, message_event("大家好", at_bot=False))
    post(server, message_event("/status", sender_type="app"))
    chat.worker.stop()
    assert _replies(chat_rt) == []


def test_a_button_answers_with_toast_and_card_and_a_second_press_is_told_who_won(intake, chat_rt):
    server, _ = intake
    iid = _incident(chat_rt)
    r = post(server, card_action(encode_action(CardAction.ACK, iid), operator="ou_wang"))
    assert r.status_code == 200
    body = r.json()
    assert body["toast"] == {"type": "success", "content": f"#{iid} 已由 王五 认领"}
    assert body["card"]["type"] == "raw" and "王五" in json.dumps(body["card"]["data"], ensure_ascii=False)
    r = post(server, card_action(encode_action(CardAction.ACK, iid), operator="ou_zhang"))
    assert r.json()["toast"] == {"type": "warning", "content": f"#{iid} 已由 王五 认领"}
    r = post(server, card_action({"a": "ack", "id": iid, "v": 99}))
    assert r.json()["toast"]["type"] == "error"
    r = post(server, card_action(encode_action(CardAction.REGRADE, iid), operator="ou_zhang", option="重大"))
    assert "需要负责人权限" in r.json()["toast"]["content"]
    r = post(server, card_action(encode_action(CardAction.REGRADE, iid), operator="ou_li", option="重大",
                                 tag="select_static"))
    assert r.json()["toast"]["content"] == f"#{iid} 已由 李四 定级为重大"


def test_a_redelivered_button_press_is_applied_once(intake, chat_rt):
    server, _ = intake
    iid = _incident(chat_rt)
    doc = card_action(encode_action(CardAction.RESOLVE, iid))
    assert post(server, doc).json()["toast"]["type"] == "success"
    assert post(server, doc).json()["toast"] == {"type": "info", "content": "这个操作已处理过"}
    with chat_rt.sessions() as s:
        assert len(s.scalars(select(IncidentEvent).where(IncidentEvent.kind == "resolve")).all()) == 1


def test_healthz(intake):
    import httpx

    server, _ = intake
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}


def test_encrypt_key_must_match_to_sign(intake):
    server, _ = intake
    body = json.dumps(encrypt(message_event("/status"))).encode()
    assert post(server, body=body, headers=signed(body, key="other")).status_code == 401
    assert ENCRYPT_KEY  # the intake's key is the builder's default


def test_a_non_ascii_signature_is_refused_not_a_crash(intake):
    import socket

    server, _ = intake
    body = json.dumps(encrypt(message_event("/status"))).encode()
    head = signed(body)
    host, port = server.url.removeprefix("http://").split(":")
    request = (b"POST /feishu/events HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
               + f"X-Lark-Request-Timestamp: {head['X-Lark-Request-Timestamp']}\r\n".encode()
               + f"X-Lark-Request-Nonce: {head['X-Lark-Request-Nonce']}\r\n".encode()
               + "X-Lark-Signature: 签名\r\n".encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(request)
        answer = s.recv(65536)
    assert answer.startswith(b"HTTP/1.1 401")


def test_whoami_answers_open_id_and_chat_id_and_a_stranger_is_told_theirs(intake, chat_rt):
    server, _ = intake
    assert post(server, message_event("/whoami", message_id="om_who1", chat_id="oc_room42")).status_code == 200
    answer = _reply_to(chat_rt, "om_who1")
    assert "你的 open_id：ou_zhang" in answer and "本群 chat_id：oc_room42" in answer and "张三" in answer
    post(server, message_event("/ack 1", sender="ou_stranger9", message_id="om_who2"))
    refusal = _reply_to(chat_rt, "om_who2")
    assert "不在值班团队名单中" in refusal and "ou_stranger9" in refusal
    post(server, message_event("/whoami", sender="ou_stranger9", message_id="om_who3"))
    assert "ou_stranger9" in _reply_to(chat_rt, "om_who3")
