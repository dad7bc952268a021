"""Feishu events at the edge: verify, decrypt and parse into MessageEvent / CardActionEvent.

    raw body + headers ──▶ JSON ──▶ signature (when signed or an encrypt key is set) ──▶ decrypt
      ──▶ verification token ──▶ url_verification → Challenge │ im.message.receive_v1 → MessageEvent
                                                            │ card.action.trigger → CardActionEvent
Anything that fails a check raises `EventRejected(status, reason)`; the intake answers it with a 4xx.
The same parser serves the long connection, whose payloads arrive already decrypted and unsigned.
"""
import base64
import dataclasses
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from Crypto.Cipher import AES


class EventRejected(Exception):
    def __init__(self, status: int, reason: str):
        self.status, self.reason = status, reason
        super().__init__(f"{status} {reason}")


@dataclass(frozen=True)
class Challenge:
    challenge: str


@dataclass(frozen=True)
class Mention:
    key: str  # "@_user_1", as it stands in the text
    open_id: str | None
    name: str
    is_bot: bool


@dataclass(frozen=True)
class MessageEvent:
    event_id: str
    message_id: str
    chat_id: str
    chat_type: str  # group | p2p
    sender_open_id: str | None
    sender_type: str  # user | app
    message_type: str
    text: str  # with @_user_N placeholders still in place
    mentions: tuple[Mention, ...] = ()
    root_id: str | None = None
    thread_id: str | None = None
    content: str = ""  # the message's raw content JSON (rich text, image and file keys …)
    create_time: str | None = None  # milliseconds since the epoch, as Feishu sends it


@dataclass(frozen=True)
class CardActionEvent:
    event_id: str
    operator_open_id: str | None
    value: object
    chat_id: str | None
    message_id: str | None
    tag: str = "button"
    option: str | None = None
    token: str | None = None


@dataclass(frozen=True)
class OtherEvent:
    event_id: str
    event_type: str
    raw: dict = field(default_factory=dict)


Event = MessageEvent | CardActionEvent | OtherEvent


def signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    """X-Lark-Signature: hex sha256 of timestamp + nonce + encrypt key + the raw body."""
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode() + body).hexdigest()


def decrypt(encrypted: str, encrypt_key: str) -> bytes:
    """AES-256-CBC with key sha256(encrypt_key); the text is base64(iv16 + ciphertext), PKCS#7 padded."""
    try:
        raw = base64.b64decode(encrypted, validate=True)
        if len(raw) < 32 or len(raw) % 16:
            raise ValueError("bad length")
        key = hashlib.sha256(encrypt_key.encode()).digest()
        plain = AES.new(key, AES.MODE_CBC, raw[:16]).decrypt(raw[16:])
        pad = plain[-1]
        if not 1 <= pad <= 16 or plain[-pad:] != bytes([pad]) * pad:
            raise ValueError("bad padding")
        return plain[:-pad]
    except (ValueError, TypeError) as exc:
        raise EventRejected(400, f"cannot decrypt: {exc}") from None


def _json(data: bytes) -> dict:
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise EventRejected(400, "body is not JSON") from None
    if not isinstance(doc, dict):
        raise EventRejected(400, "body is not a JSON object")
    return doc


def _same(a: str, b: str) -> bool:
    """Constant-time comparison that takes any text (compare_digest refuses non-ASCII str with a TypeError)."""
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


def open_envelope(body: bytes, headers: Mapping[str, str], verification_token: str | None,
                  encrypt_key: str | None) -> dict | Challenge:
    """Check and unwrap one HTTP delivery; `headers` must look names up case-insensitively."""
    doc = _json(body)
    ts, nonce, sig = (headers.get(h) for h in ("X-Lark-Request-Timestamp", "X-Lark-Request-Nonce",
                                              "X-Lark-Signature"))
    signed = bool(sig)
    if encrypt_key and signed:
        if not (ts and nonce and sig) or not _same(signature(ts, nonce, encrypt_key, body), sig):
            raise EventRejected(401, "bad signature")
    if "encrypt" in doc:
        if not encrypt_key:
            raise EventRejected(400, "encrypted event but FEISHU_ENCRYPT_KEY is not set")
        if not isinstance(doc["encrypt"], str):
            raise EventRejected(400, "encrypt is not a string")
        doc = _json(decrypt(doc["encrypt"], encrypt_key))
    token = doc.get("token") if "schema" not in doc else (doc.get("header") or {}).get("token")
    if not verification_token:
        raise EventRejected(403, "FEISHU_VERIFICATION_TOKEN is not set: events are refused")
    if not isinstance(token, str) or not _same(token, verification_token):
        raise EventRejected(403, "bad verification token")
    if doc.get("type") == "url_verification":
        # Feishu's URL check carries no signature headers; the token (and encryption) vouch for it
        challenge = doc.get("challenge")
        if not isinstance(challenge, str):
            raise EventRejected(400, "url_verification without a challenge")
        return Challenge(challenge)
    if encrypt_key and not signed:
        raise EventRejected(401, "missing signature")
    return doc


def parse_event(doc: dict) -> Event:
    """A schema-2.0 event document → a typed event; anything malformed raises EventRejected(400)."""
    if doc.get("schema") != "2.0" or not isinstance(doc.get("header"), dict) or not isinstance(doc.get("event"), dict):
        raise EventRejected(400, "not a schema 2.0 event")
    header, event = doc["header"], doc["event"]
    event_id, event_type = header.get("event_id"), header.get("event_type")
    if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str):
        raise EventRejected(400, "event without event_id or event_type")
    try:
        if event_type == "im.message.receive_v1":
            return _message(event_id, event)
        if event_type == "card.action.trigger":
            return _card(event_id, event)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise EventRejected(400, f"malformed {event_type}: {type(exc).__name__} {exc}") from None
    return OtherEvent(event_id, event_type, doc)


def _message(event_id: str, event: dict) -> MessageEvent:
    msg, sender = event["message"], event.get("sender") or {}
    text = ""
    if msg.get("message_type") == "text":
        content = json.loads(msg.get("content") or "{}")
        text = content.get("text", "") if isinstance(content, dict) else ""
    mentions = tuple(
        Mention(m["key"], (m.get("id") or {}).get("open_id"), m.get("name", ""), m.get("mentioned_type") == "bot")
        for m in msg.get("mentions") or ())
    return MessageEvent(event_id=event_id, message_id=msg["message_id"], chat_id=msg["chat_id"],
                        chat_type=msg.get("chat_type", "group"),
                        sender_open_id=(sender.get("sender_id") or {}).get("open_id"),
                        sender_type=sender.get("sender_type", "user"), message_type=msg.get("message_type", ""),
                        text=str(text), mentions=mentions, root_id=msg.get("root_id") or None,
                        thread_id=msg.get("thread_id") or None, content=str(msg.get("content") or ""),
                        create_time=msg.get("create_time"))


def _card(event_id: str, event: dict) -> CardActionEvent:
    action, context = event.get("action") or {}, event.get("context") or {}
    return CardActionEvent(event_id=event_id, operator_open_id=(event.get("operator") or {}).get("open_id"),
                           value=action.get("value"), chat_id=context.get("open_chat_id"),
                           message_id=context.get("open_message_id"), tag=action.get("tag", "button"),
                           option=action.get("option"), token=event.get("token"))


def message_to_dict(event: MessageEvent) -> dict:
    """A message event as plain JSON, to keep in the database until it is handled."""
    return dataclasses.asdict(event)


def message_from_dict(data: dict) -> MessageEvent:
    return MessageEvent(**{**data, "mentions": tuple(Mention(**m) for m in data.get("mentions") or ())})
