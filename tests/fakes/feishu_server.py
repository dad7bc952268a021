"""A loopback fake of the Feishu Open API, for the real lark-oapi client to talk to.

It binds 127.0.0.1 on a free port, records every request, keeps the messages a chat would show,
honours the message `uuid` (a repeated send returns the first message), and can be told to fail:
`fail_next(kind, times)` queues faults, `down()` / `up()` make every API call fail until recovery,
`expire_tokens()` makes the tokens issued so far answer 99991663, `remove_bot(chat_id)` makes every post,
reply and patch in that chat answer 230002 (the bot was removed from the group). Urgent notifications (加急)
are recorded in `urgents`; those not in `urgent_allowed` answer 230027 (no permission).
"""
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"


@dataclass
class Message:
    message_id: str
    chat_id: str
    msg_type: str
    content: dict
    uuid: str | None
    root_id: str | None = None
    patches: list[dict] = field(default_factory=list)
    created: float = field(default_factory=time.monotonic)  # when the fake recorded it (latency benchmarks)

    @property
    def current(self) -> dict:
        """The content as the chat shows it now (after patches)."""
        return self.patches[-1] if self.patches else self.content

    @property
    def text(self) -> str:
        """All the text in the current content, for assertions."""
        return json.dumps(self.current, ensure_ascii=False)

    @property
    def mentions(self) -> list[str]:
        """Who the chat would notify: the ids of `<at>` tags in card markdown and in text messages."""
        found = []

        def walk(node):
            if isinstance(node, dict):
                if node.get("tag") == "markdown" or "text" in node and isinstance(node["text"], str):
                    found.extend(_AT.findall(node.get("content") or node.get("text") or ""))
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(self.current)
        return found


# Feishu's mention syntax: card markdown `<at id=ou_x></at>`, text `<at user_id="ou_x"></at>` (also id=all)
_AT = re.compile(r"<at (?:id|user_id)=[\"']?([\w-]+)[\"']?\s*>")


FAULTS = {
    "http500": (500, {"code": 1, "msg": "internal error"}),
    "html502": (502, "<html><body>502 Bad Gateway</body></html>"),
    "ratelimit": (400, {"code": 99991400, "msg": "request trigger frequency limit"}),
    "chat_ratelimit": (400, {"code": 230020, "msg": "This operation triggers the frequency limit. ext=chat rate limit"}),
    "token_invalid": (400, {"code": 99991663, "msg": "Invalid access token for authorization."}),
    "bot_not_in_chat": (400, {"code": 230002, "msg": "Bot/User can NOT be out of the chat."}),
    "timeout": None,
}


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that timed out and hung up is part of the script, not an error


class FakeFeishu:
    def __init__(self, slow_seconds: float = 3.0):
        self.requests: list[dict] = []
        self.messages: list[Message] = []
        self.users: dict[str, str] = {}
        self._faults: list[str] = []
        self._down = False
        self._valid_tokens: set[str] = set()
        self.removed_from: set[str] = set()
        # 加急 the tenant allows (SMS and phone cost money and need their own permission)
        self.urgent_allowed: set[str] = {"urgent_app"}
        self.urgents: list[tuple[str, str, list[str]]] = []  # (message_id, urgent_app|sms|phone, open_ids)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.slow_seconds = slow_seconds
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> "FakeFeishu":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- scripting -------------------------------------------------------------------------------
    def fail_next(self, kind: str, times: int = 1) -> None:
        if kind not in FAULTS:
            raise ValueError(kind)
        with self._lock:
            self._faults.extend([kind] * times)

    def down(self) -> None:
        self._down = True

    def up(self) -> None:
        self._down = False

    def remove_bot(self, chat_id: str) -> None:
        self.removed_from.add(chat_id)

    def expire_tokens(self) -> None:
        with self._lock:
            self._valid_tokens.clear()

    # -- what the chats show -----------------------------------------------------------------------
    def in_chat(self, chat_id: str) -> list[Message]:
        return [m for m in self.messages if m.chat_id == chat_id and m.root_id is None]

    def posts(self) -> list[Message]:
        """Every message any chat shows (cards, replies), in order."""
        return list(self.messages)

    def replies_to(self, message_id: str) -> list[Message]:
        return [m for m in self.messages if m.root_id == message_id]

    def api_calls(self, method: str, prefix: str) -> list[dict]:
        return [r for r in self.requests if r["method"] == method and r["path"].startswith(prefix)]

    # -- the HTTP side -----------------------------------------------------------------------------
    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                parsed = urlparse(self.path)
                try:
                    body = json.loads(raw) if raw else None
                except json.JSONDecodeError:
                    body = None
                record = {"method": method, "path": parsed.path, "query": parse_qs(parsed.query),
                          "headers": dict(self.headers), "body": body, "at": time.time()}
                with fake._lock:
                    fake.requests.append(record)
                status, payload, headers = fake._respond(method, parsed.path, record)
                data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html" if isinstance(payload, str) else "application/json")
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

            def do_PATCH(self):
                self._serve("PATCH")

        return Handler

    def _respond(self, method: str, path: str, record: dict) -> tuple[int, object, dict]:
        if path == TOKEN_PATH:
            if self._down:
                return 503, "<html>503 Service Unavailable</html>", {}
            token = f"t-{next(self._ids)}"
            with self._lock:
                self._valid_tokens.add(token)
            return 200, {"code": 0, "msg": "ok", "tenant_access_token": token, "expire": 7200}, {}
        if self._down:
            return 503, "<html>503 Service Unavailable</html>", {}
        with self._lock:
            fault = self._faults.pop(0) if self._faults else None
        if fault == "timeout":
            time.sleep(self.slow_seconds)
        elif fault is not None:
            status, payload = FAULTS[fault]
            headers = {"x-ogw-ratelimit-reset": "1"} if "ratelimit" in fault else {}
            return status, payload, headers
        auth = record["headers"].get("Authorization", "")
        if auth.removeprefix("Bearer ") not in self._valid_tokens:
            return 400, {"code": 99991663, "msg": "Invalid access token for authorization."}, {}
        return self._route(method, path, record)

    def _route(self, method: str, path: str, record: dict) -> tuple[int, object, dict]:
        body = record["body"] or {}
        parts = path.split("/")
        if method == "POST" and path == "/open-apis/im/v1/messages":
            return self._create(body["receive_id"], body, root_id=None)
        if method == "POST" and path.startswith("/open-apis/im/v1/messages/") and path.endswith("/reply"):
            parent = self._find(parts[5])
            if parent is None:
                return 400, {"code": 230011, "msg": "message not found"}, {}
            return self._create(parent.chat_id, body, root_id=parent.root_id or parent.message_id)
        if method == "PATCH" and path.startswith("/open-apis/im/v1/messages/") and parts[-1].startswith("urgent_"):
            msg = self._find(parts[5])
            if msg is None:
                return 400, {"code": 230011, "msg": "message not found"}, {}
            if parts[-1] not in self.urgent_allowed:
                return 400, {"code": 230027, "msg": f"{parts[-1]}: the tenant lacks the permission"}, {}
            users = list(body.get("user_id_list") or [])
            self.urgents.append((msg.message_id, parts[-1], users))
            return 200, {"code": 0, "msg": "success", "data": {"invalid_user_id_list": []}}, {}
        if method == "PATCH" and path.startswith("/open-apis/im/v1/messages/"):
            msg = self._find(parts[5])
            if msg is None:
                return 400, {"code": 230011, "msg": "message not found"}, {}
            if msg.chat_id in self.removed_from:
                return 400, {"code": 230002, "msg": "Bot/User can NOT be out of the chat."}, {}
            try:
                content = json.loads(body["content"])
            except (KeyError, TypeError, json.JSONDecodeError):
                return 400, {"code": 230001, "msg": "invalid content"}, {}
            msg.patches.append(content)
            return 200, {"code": 0, "msg": "success", "data": {}}, {}
        if method == "GET" and path.startswith("/open-apis/contact/v3/users/"):
            open_id = parts[5]
            if open_id not in self.users:
                return 400, {"code": 41050, "msg": "no user authority"}, {}
            return 200, {"code": 0, "msg": "success",
                         "data": {"user": {"open_id": open_id, "name": self.users[open_id]}}}, {}
        return 404, {"code": 404, "msg": f"no such API: {method} {path}"}, {}

    def _find(self, message_id: str) -> Message | None:
        return next((m for m in self.messages if m.message_id == message_id), None)

    def _create(self, chat_id: str, body: dict, root_id: str | None) -> tuple[int, object, dict]:
        if chat_id in self.removed_from:
            return 400, {"code": 230002, "msg": "Bot/User can NOT be out of the chat."}, {}
        uuid = body.get("uuid")
        try:
            content = json.loads(body["content"])
        except (KeyError, TypeError, json.JSONDecodeError):
            return 400, {"code": 230001, "msg": "invalid message content"}, {}
        with self._lock:
            # Feishu: requests with the same uuid succeed at most once within an hour
            existing = next((m for m in self.messages if uuid and m.uuid == uuid), None)
            if existing is None:
                existing = Message(f"om_{next(self._ids)}", chat_id, body.get("msg_type", ""), content, uuid, root_id)
                self.messages.append(existing)
        data = {"message_id": existing.message_id, "root_id": existing.root_id, "chat_id": chat_id,
                "msg_type": existing.msg_type, "create_time": str(int(time.time() * 1000)),
                "body": {"content": json.dumps(existing.content, ensure_ascii=False)}}
        return 200, {"code": 0, "msg": "success", "data": data}, {}
