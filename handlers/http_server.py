"""The bot's HTTP endpoint: a small threaded server with a route table.

Routes are `(method, pattern, handler)`; a handler takes a `Request` and returns a `Response`. The server
caps body size, answers 404/405/413 itself, and turns a handler's exception into a 500 with a log line —
it never dies of a request. `GET /healthz` is always there.
"""
import json
import logging
import re
import threading
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)

MAX_BODY = 2_000_000


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, list[str]]
    headers: Message  # case-insensitive lookups
    body: bytes
    client: str


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes | dict | list | str = b""
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, (dict, list)):
            return json.dumps(self.body, ensure_ascii=False).encode(), "application/json; charset=utf-8"
        if isinstance(self.body, str):
            return self.body.encode(), "text/plain; charset=utf-8"
        return self.body, "application/octet-stream"


def json_error(status: int, message: str) -> Response:
    return Response(status, {"error": message})


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str  # e.g. "/ingest/{source}"
    handler: Handler

    def match(self, path: str) -> dict[str, str] | None:
        regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.pattern) + "$"
        m = re.match(regex, path)
        return m.groupdict() if m else None


def _healthz(_req: Request) -> Response:
    return Response(200, {"status": "ok"})


class HttpServer:
    def __init__(self, host: str, port: int, routes: list[Route], max_body: int = MAX_BODY):
        self.max_body = max_body
        self.routes = [Route("GET", "/healthz", _healthz), *routes]
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "HttpServer":
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="http", daemon=True)
        self._thread.start()
        log.info("HTTP endpoint listening on %s", self.url)
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def dispatch(self, method: str, raw_path: str, headers: Message, body: bytes, client: str) -> Response:
        parts = urlsplit(raw_path)
        allowed = False
        for route in self.routes:
            params = route.match(parts.path)
            if params is None:
                continue
            allowed = True
            if route.method != method:
                continue
            req = Request(method, parts.path, params, parse_qs(parts.query), headers, body, client)
            try:
                return route.handler(req)
            except Exception:
                log.exception("%s %s: handler failed", method, parts.path)
                return json_error(500, "internal error")
        return json_error(405 if allowed else 404, "method not allowed" if allowed else "not found")

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):
                log.debug("%s %s", self.address_string(), fmt % args)

            def _serve(self):
                try:
                    length = int(self.headers.get("Content-Length") or 0)
                except ValueError:
                    length = -1
                if length < 0 or length > server.max_body:
                    log.warning("%s %s from %s: body too large or bad length", self.command, self.path,
                                self.client_address[0])
                    self._write(json_error(413, f"body must be at most {server.max_body} bytes"), close=True)
                    return
                body = self.rfile.read(length) if length else b""
                self._write(server.dispatch(self.command, self.path, self.headers, body, self.client_address[0]))

            def _write(self, resp: Response, close: bool = False):
                data, ctype = resp.encoded()
                self.send_response(resp.status)
                self.send_header("Content-Type", resp.headers.get("Content-Type", ctype))
                for k, v in resp.headers.items():
                    if k != "Content-Type":
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                if close:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        return Handler
