"""Chat-ops fixtures: a runtime with a team, pointed at the fake Feishu, and the bot's HTTP intake on loopback."""
import json
import time

import httpx
import pytest

from bot.feishu.client import FeishuClient
from handlers.app import ChatOps
from handlers.http_server import HttpServer
from handlers.routes import build_routes
from tests.builders.feishu_events import ENCRYPT_KEY, TOKEN, wire
from tests.builders.incidents import CONFIG


@pytest.fixture
def chat_env(app_env) -> dict:
    return {**app_env, "FEISHU_VERIFICATION_TOKEN": TOKEN, "FEISHU_ENCRYPT_KEY": ENCRYPT_KEY}


@pytest.fixture
def chat_rt(make_runtime, feishu, chat_env):
    return make_runtime({**CONFIG, "feishu": {"domain": feishu.url}}, env=chat_env)


@pytest.fixture
def client(chat_rt, feishu) -> FeishuClient:
    s = chat_rt.loaded.secrets
    return FeishuClient(s.app_id, s.app_secret.get_secret_value(), feishu.url)


@pytest.fixture
def intake(chat_rt):
    """The bot's HTTP server with /feishu/events, and its chat-ops (worker running)."""
    chat = ChatOps(chat_rt).start()
    server = HttpServer("127.0.0.1", 0, build_routes(chat_rt, chat)).start()
    yield server, chat
    server.stop()
    chat.close()


def post(server, doc: dict | None = None, *, body: bytes | None = None, headers: dict | None = None,
         encrypted: bool = True) -> httpx.Response:
    if body is None:
        body, wire_headers = wire(doc, encrypted=encrypted)
        headers = {**wire_headers, **(headers or {})}
    return httpx.post(f"{server.url}/feishu/events", content=body, headers=headers or {}, timeout=5)


def wait_for(predicate, timeout: float = 5.0):
    """Poll a background worker's effect (short sleeps only)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out waiting for the worker")


def texts(messages) -> list[str]:
    return [json.loads(json.dumps(m.current)).get("text", "") for m in messages]
