"""bot.feishu.events on its own: decryption, signatures, parsing of the shapes Feishu sends."""
import json

import pytest
from requests.structures import CaseInsensitiveDict

from bot.feishu.events import (
    CardActionEvent, Challenge, EventRejected, MessageEvent, OtherEvent, decrypt, open_envelope, parse_event,
)
from tests.builders.feishu_events import ENCRYPT_KEY, TOKEN, card_action, encrypt, message_event, url_verification, wire


def test_decrypt_round_trip():
    doc = message_event("认领 3")
    assert json.loads(decrypt(encrypt(doc)["encrypt"], ENCRYPT_KEY)) == doc


def test_open_envelope_checks_signature_over_the_raw_body():
    doc = message_event("/status")
    body, headers = wire(doc)
    assert open_envelope(body, CaseInsensitiveDict(headers), TOKEN, ENCRYPT_KEY) == doc
    lower = CaseInsensitiveDict({k.lower(): v for k, v in headers.items()})
    assert open_envelope(body, lower, TOKEN, ENCRYPT_KEY) == doc
    with pytest.raises(EventRejected) as exc:
        open_envelope(body + b" ", CaseInsensitiveDict(headers), TOKEN, ENCRYPT_KEY)
    assert exc.value.status == 401


def test_without_an_encrypt_key_plain_events_need_only_the_token():
    body = json.dumps(message_event("/status")).encode()
    assert isinstance(open_envelope(body, {}, TOKEN, None), dict)
    with pytest.raises(EventRejected):
        open_envelope(json.dumps(encrypt(message_event("/x"))).encode(), {}, TOKEN, None)
    with pytest.raises(EventRejected) as exc:
        open_envelope(body, {}, None, None)
    assert exc.value.status == 403
    assert open_envelope(json.dumps(url_verification("c")).encode(), {}, TOKEN, None) == Challenge("c")


def test_parse_message_with_mentions_and_thread():
    ev = parse_event(message_event("指派 3 {1}", users=(("ou_wang", "王五"),), root_id="om_card"))
    assert isinstance(ev, MessageEvent)
    assert ev.text == "@_user_1 指派 3 @_user_2" and ev.root_id == "om_card"
    assert [(m.key, m.open_id, m.is_bot) for m in ev.mentions] == [("@_user_1", "ou_bot", True),
                                                                   ("@_user_2", "ou_wang", False)]


def test_parse_card_action_and_others():
    ev = parse_event(card_action({"a": "ack", "id": 3, "v": 1}, option="重大"))
    assert isinstance(ev, CardActionEvent) and ev.value == {"a": "ack", "id": 3, "v": 1} and ev.option == "重大"
    doc = message_event("x")
    doc["header"]["event_type"] = "im.chat.member.bot.added_v1"
    assert isinstance(parse_event(doc), OtherEvent)
