"""Feishu event payloads built the way Feishu sends them: schema 2.0, @_user_N placeholders with mentions[],
optionally encrypted (AES-256-CBC, key sha256(encrypt_key), base64(iv + ciphertext)) and signed."""
import base64
import hashlib
import json
import os
import time
import uuid

from Crypto.Cipher import AES

TOKEN = "vt-test-token"
ENCRYPT_KEY = "ek-test-key"
BOT = {"key": "@_user_1", "open_id": "ou_bot", "name": "舆情机器人"}


def _header(event_type: str, event_id: str | None, token: str) -> dict:
    return {"event_id": event_id or uuid.uuid4().hex, "token": token, "create_time": str(int(time.time() * 1000)),
            "event_type": event_type, "tenant_key": "tenant_x", "app_id": "cli_test"}


def mention(key: str, open_id: str, name: str, bot: bool = False) -> dict:
    m = {"key": key, "id": {"union_id": f"on_{open_id}", "user_id": open_id[3:], "open_id": open_id},
         "name": name, "tenant_key": "tenant_x"}
    if bot:
        m["mentioned_type"] = "bot"
    return m


def message_event(text: str, sender: str = "ou_zhang", chat_id: str = "oc_crisis", *, at_bot: bool = True,
                  users: tuple[tuple[str, str], ...] = (), root_id: str | None = None, event_id: str | None = None,
                  message_id: str | None = None, chat_type: str = "group", sender_type: str = "user",
                  token: str = TOKEN) -> dict:
    """im.message.receive_v1. `users` = ((open_id, name), …) written into the text as @_user_2, @_user_3 …;
    use "{1}", "{2}" in `text` to place them, and the bot's @_user_1 leads the text when `at_bot`."""
    mentions = [mention(BOT["key"], BOT["open_id"], BOT["name"], bot=True)] if at_bot else []
    for i, (open_id, name) in enumerate(users, start=2):
        mentions.append(mention(f"@_user_{i}", open_id, name))
        text = text.replace("{" + str(i - 1) + "}", f"@_user_{i}")
    if at_bot:
        text = f"{BOT['key']} {text}"
    msg = {"message_id": message_id or f"om_{uuid.uuid4().hex[:16]}", "create_time": str(int(time.time() * 1000)),
           "update_time": str(int(time.time() * 1000)), "chat_id": chat_id, "chat_type": chat_type,
           "message_type": "text", "content": json.dumps({"text": text}, ensure_ascii=False), "mentions": mentions}
    if root_id:
        msg.update(root_id=root_id, parent_id=root_id, thread_id=f"omt_{root_id[3:]}")
    return {"schema": "2.0", "header": _header("im.message.receive_v1", event_id, token),
            "event": {"sender": {"sender_id": {"union_id": f"on_{sender}", "user_id": sender[3:], "open_id": sender},
                                 "sender_type": sender_type, "tenant_key": "tenant_x"},
                      "message": msg}}


def card_action(value: object, operator: str = "ou_zhang", chat_id: str = "oc_crisis",
                message_id: str = "om_card", *, option: str | None = None, tag: str = "button",
                event_id: str | None = None, token: str = TOKEN) -> dict:
    """card.action.trigger (the new callback, schema 2.0)."""
    action: dict = {"value": value, "tag": tag}
    if option is not None:
        action["option"] = option
    return {"schema": "2.0", "header": _header("card.action.trigger", event_id, token),
            "event": {"operator": {"tenant_key": "tenant_x", "user_id": operator[3:], "open_id": operator,
                                   "union_id": f"on_{operator}"},
                      "token": f"c-{uuid.uuid4().hex}", "action": action, "host": "im_message",
                      "context": {"open_message_id": message_id, "open_chat_id": chat_id}}}


def url_verification(challenge: str = "ch-123", token: str = TOKEN) -> dict:
    return {"challenge": challenge, "token": token, "type": "url_verification"}


def encrypt(doc: dict, key: str = ENCRYPT_KEY) -> dict:
    """{"encrypt": base64(iv + AES-256-CBC(json))}, as Feishu sends when an Encrypt Key is set."""
    data = json.dumps(doc, ensure_ascii=False).encode()
    pad = 16 - len(data) % 16
    iv = os.urandom(16)
    ct = AES.new(hashlib.sha256(key.encode()).digest(), AES.MODE_CBC, iv).encrypt(data + bytes([pad]) * pad)
    return {"encrypt": base64.b64encode(iv + ct).decode()}


def signed(body: bytes, key: str = ENCRYPT_KEY, timestamp: str | None = None, nonce: str = "n0nce") -> dict:
    """The X-Lark-* headers for a raw body."""
    ts = timestamp or str(int(time.time()))
    sig = hashlib.sha256((ts + nonce + key).encode() + body).hexdigest()
    return {"X-Lark-Request-Timestamp": ts, "X-Lark-Request-Nonce": nonce, "X-Lark-Signature": sig,
            "Content-Type": "application/json"}


def wire(doc: dict, key: str | None = ENCRYPT_KEY, encrypted: bool = True) -> tuple[bytes, dict]:
    """The body and headers of one delivery: encrypted and signed (the default), or plain and signed."""
    body = json.dumps(encrypt(doc, key) if encrypted and key else doc, ensure_ascii=False).encode()
    return body, (signed(body, key) if key else {"Content-Type": "application/json"})
