"""The real lark-oapi client against the loopback fake: results and faults are classified, never raised."""
import uuid

import pytest

from bot.feishu.client import Failed, FeishuClient, Retry, Sent


@pytest.fixture
def client(feishu):
    return FeishuClient(f"cli_{uuid.uuid4().hex[:10]}", "secret", feishu.url, timeout=1.0)


def test_send_posts_once_per_uuid(client, feishu):
    first = client.send("oc_a", "text", {"text": "hello"}, "key-1")
    again = client.send("oc_a", "text", {"text": "hello"}, "key-1")
    assert isinstance(first, Sent) and first == again
    assert [m.content for m in feishu.in_chat("oc_a")] == [{"text": "hello"}]
    call = feishu.api_calls("POST", "/open-apis/im/v1/messages")[0]
    assert call["query"] == {"receive_id_type": ["chat_id"]}
    assert call["body"]["uuid"] == "key-1" and call["headers"]["Authorization"].startswith("Bearer t-")


def test_reply_goes_into_the_thread_and_patch_replaces_the_card(client, feishu):
    root = client.send("oc_a", "interactive", {"schema": "2.0", "body": {"elements": []}}, "k1")
    reply = client.reply(root.message_id, "text", {"text": "更新"}, "k2")
    assert isinstance(reply, Sent)
    assert [m.content for m in feishu.replies_to(root.message_id)] == [{"text": "更新"}]
    assert feishu.api_calls("POST", f"/open-apis/im/v1/messages/{root.message_id}/reply")[0]["body"]["reply_in_thread"]
    assert client.patch(root.message_id, {"schema": "2.0", "v": 2}) == Sent(root.message_id)
    assert feishu.in_chat("oc_a")[0].current == {"schema": "2.0", "v": 2}


@pytest.mark.parametrize("fault, expected", [
    ("http500", Retry), ("html502", Retry), ("ratelimit", Retry), ("chat_ratelimit", Retry),
    ("timeout", Retry), ("bot_not_in_chat", Failed),
])
def test_faults_are_classified(client, feishu, fault, expected):
    client.send("oc_a", "text", {"text": "warm up the token"}, "warm")
    feishu.fail_next(fault)
    result = client.send("oc_a", "text", {"text": "x"}, "k")
    assert isinstance(result, expected), result
    assert client.send("oc_a", "text", {"text": "x"}, "k") == Sent(feishu.in_chat("oc_a")[-1].message_id)


def test_rate_limit_carries_the_reset_hint(client, feishu):
    feishu.fail_next("ratelimit")
    result = client.send("oc_a", "text", {"text": "x"}, "k")
    assert isinstance(result, Retry) and result.after == 1.0


def test_expired_token_is_refreshed_and_the_call_retried(client, feishu):
    client.send("oc_a", "text", {"text": "1"}, "k1")
    feishu.expire_tokens()
    assert isinstance(client.send("oc_a", "text", {"text": "2"}, "k2"), Sent)
    token_calls = feishu.api_calls("POST", "/open-apis/auth/v3/tenant_access_token/internal")
    assert len(token_calls) == 2
    assert len(feishu.in_chat("oc_a")) == 2


def test_feishu_down_is_a_retry_not_an_exception(client, feishu):
    feishu.down()
    assert isinstance(client.send("oc_a", "text", {"text": "x"}, "k"), Retry)
    feishu.up()
    assert isinstance(client.send("oc_a", "text", {"text": "x"}, "k"), Sent)


def test_user_lookup(client, feishu):
    feishu.users["ou_1"] = "张三"
    assert client.user_name("ou_1") == "张三"
    assert client.user_name("ou_unknown") is None
