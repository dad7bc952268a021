"""The one place that calls the Feishu Open API (through lark-oapi).

Every call returns a `DeliveryResult`: `Sent(message_id)`, `Retry(reason, after)` or `Failed(reason)`.
The SDK never retries, raises `requests` exceptions on network faults and `json.JSONDecodeError` on a
non-JSON error page, and keeps its cached tenant token even after Feishu says it is invalid: all of
that is classified here so nothing above this module sees an SDK exception.
"""
import json
import logging
from dataclasses import dataclass

import lark_oapi as lark
import requests
from lark_oapi.api.contact.v3 import GetUserRequest
from lark_oapi.api.im.v1 import (
    CreateMessageRequest,
    CreateMessageRequestBody,
    PatchMessageRequest,
    PatchMessageRequestBody,
    ReplyMessageRequest,
    ReplyMessageRequestBody,
    UrgentAppMessageRequest,
    UrgentPhoneMessageRequest,
    UrgentReceivers,
    UrgentSmsMessageRequest,
)
from lark_oapi.core.exception import ObtainAccessTokenException
from lark_oapi.core.token.manager import TokenManager

log = logging.getLogger(__name__)

# rate limits: tenant/app frequency, per-chat, message service
RETRY_CODES = frozenset({99991400, 230020, 11232, 11233})
# tenant token invalid / missing / expired: drop the cached token and try once more
TOKEN_CODES = frozenset({99991663, 99991661, 99991677, 99991668})


@dataclass(frozen=True)
class Sent:
    message_id: str


@dataclass(frozen=True)
class Retry:
    reason: str
    after: float | None = None


@dataclass(frozen=True)
class Failed:
    reason: str


DeliveryResult = Sent | Retry | Failed


@dataclass(frozen=True)
class UserInfo:
    open_id: str
    name: str


class FeishuClient:
    """Send, reply in thread, patch cards and look users up, with errors classified."""

    def __init__(self, app_id: str, app_secret: str, domain: str, timeout: float = 10.0):
        self.app_id = app_id
        self._client = (
            lark.Client.builder()
            .app_id(app_id)
            .app_secret(app_secret)
            .domain(domain.rstrip("/"))
            .timeout(timeout)
            .log_level(lark.LogLevel.ERROR)
            .build()
        )

    def send(self, chat_id: str, msg_type: str, content: dict, uuid: str) -> DeliveryResult:
        """Post a new message in a chat; `uuid` makes a repeated call post at most once."""
        body = (
            CreateMessageRequestBody.builder()
            .receive_id(chat_id).msg_type(msg_type).content(json.dumps(content, ensure_ascii=False)).uuid(uuid)
            .build()
        )
        req = CreateMessageRequest.builder().receive_id_type("chat_id").request_body(body).build()
        return self._call(lambda: self._client.im.v1.message.create(req), returns_message=True)

    def reply(self, message_id: str, msg_type: str, content: dict, uuid: str, in_thread: bool = True) -> DeliveryResult:
        """Reply to a message, in its thread by default."""
        body = (
            ReplyMessageRequestBody.builder()
            .msg_type(msg_type).content(json.dumps(content, ensure_ascii=False)).reply_in_thread(in_thread).uuid(uuid)
            .build()
        )
        req = ReplyMessageRequest.builder().message_id(message_id).request_body(body).build()
        return self._call(lambda: self._client.im.v1.message.reply(req), returns_message=True)

    def patch(self, message_id: str, card: dict) -> DeliveryResult:
        """Replace the content of a card already posted."""
        body = PatchMessageRequestBody.builder().content(json.dumps(card, ensure_ascii=False)).build()
        req = PatchMessageRequest.builder().message_id(message_id).request_body(body).build()
        result = self._call(lambda: self._client.im.v1.message.patch(req), returns_message=False)
        return Sent(message_id) if isinstance(result, Sent) else result

    def urgent(self, message_id: str, open_ids: list[str], how: str) -> DeliveryResult:
        """加急 a posted message for these people: in the app, by SMS or by phone (`how`: app, sms, phone)."""
        builders = {"app": (UrgentAppMessageRequest, self._client.im.v1.message.urgent_app),
                    "sms": (UrgentSmsMessageRequest, self._client.im.v1.message.urgent_sms),
                    "phone": (UrgentPhoneMessageRequest, self._client.im.v1.message.urgent_phone)}
        if how not in builders:
            return Failed(f"unknown urgent kind {how!r}")
        request_cls, call = builders[how]
        req = (request_cls.builder().message_id(message_id).user_id_type("open_id")
               .request_body(UrgentReceivers.builder().user_id_list(open_ids).build()).build())
        result = self._call(lambda: call(req), returns_message=False)
        return Sent(message_id) if isinstance(result, Sent) else result

    def user_name(self, open_id: str) -> str | None:
        """The display name of a user, or None when it cannot be had."""
        req = GetUserRequest.builder().user_id(open_id).user_id_type("open_id").build()
        try:
            resp = self._client.contact.v3.user.get(req)
        except (requests.RequestException, json.JSONDecodeError, ObtainAccessTokenException) as exc:
            log.warning("user lookup %s failed: %s", open_id, exc)
            return None
        if not resp.success() or resp.data is None or resp.data.user is None:
            return None
        return resp.data.user.name

    def _forget_token(self) -> None:
        TokenManager.cache.set(f"self_tenant_token:{self.app_id}", "", 0)

    def _call(self, fn, returns_message: bool) -> DeliveryResult:
        for attempt in (1, 2):
            try:
                resp = fn()
            except requests.RequestException as exc:
                return Retry(f"network error: {type(exc).__name__}: {exc}")
            except json.JSONDecodeError:
                return Retry("Feishu answered with a non-JSON page (proxy or gateway error)")
            except ObtainAccessTokenException as exc:
                return Retry(f"could not obtain a tenant token: {exc.code} {exc.msg}")
            status = resp.raw.status_code if resp.raw is not None else 0
            if resp.success():
                message_id = resp.data.message_id if returns_message and resp.data is not None else ""
                return Sent(message_id or "")
            code, msg = resp.code, resp.msg
            if code in TOKEN_CODES and attempt == 1:
                log.info("tenant token rejected (%s); fetching a new one", code)
                self._forget_token()
                continue
            reason = f"Feishu error {code}: {msg} (HTTP {status}, log id {resp.get_log_id()})"
            if code in RETRY_CODES or code in TOKEN_CODES or status == 429 or status >= 500 or code is None:
                return Retry(reason, after=_reset_after(resp))
            return Failed(reason)
        raise AssertionError("unreachable")


def _reset_after(resp) -> float | None:
    headers = resp.raw.headers if resp.raw is not None else {}
    for key, value in (headers or {}).items():
        if key.lower() == "x-ogw-ratelimit-reset":
            try:
                return float(value)
            except ValueError:
                return None
    return None
