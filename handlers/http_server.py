"""The bot's HTTP endpoint: a Starlette app with a route table, served by uvicorn on a thread of its own.

Routes are `(method, pattern, handler)`; a handler takes a `Request` and returns a `Response`. Handlers are
plain functions that may touch the database, so they run on a bounded thread pool; the event loop only reads
and writes sockets, so slow or idle clients cost a socket, not a thread.

What the server answers by itself, before a handler sees anything:
- 404 / 405 for unknown paths and methods; `GET /healthz` (liveness: the process serves) and `GET /readyz`
  (readiness: the checks given by the caller, 503 with the failed ones).
- 411 for a POST/PUT/PATCH whose body has no length (neither Content-Length nor chunked), 413 for a body
  over `max_body` (declared or, when chunked, counted), 408 for a body that does not arrive within
  `body_timeout`; a connection whose request headers do not arrive within `header_timeout` is closed.
- 503 + Retry-After when `max_inflight` requests are already being handled, or when the database cannot be
  reached (the caller should resend later; nothing was taken); a connection beyond `max_connections` gets
  503 + Retry-After at once and is closed.
- 500 only for a handler's bug, with a log line; the server never dies of a request.
"""
import asyncio
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import anyio
import h11
import uvicorn
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request as StarletteRequest
from starlette.responses import Response as StarletteResponse
from starlette.routing import Route as StarletteRoute
from starlette.types import Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

MAX_BODY = 2_000_000
DB_RETRY_AFTER = 5  # seconds a pusher is asked to wait while the database is unreachable


@dataclass(frozen=True)
class Limits:
    """Connection hygiene; the defaults suit a bot behind a reverse proxy that Feishu pushes to."""

    max_body: int = MAX_BODY
    backlog: int = 2048
    max_connections: int = 1000
    max_inflight: int = 64  # requests in handlers at once; more get 503 + Retry-After
    threads: int = 16  # handler threads (each may hold a database connection)
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    keep_alive: int = 5


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, list[str]]
    headers: Mapping[str, str]  # case-insensitive lookups
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


def json_error(status: int, message: str, retry_after: int | None = None) -> Response:
    return Response(status, {"error": message}, {"Retry-After": str(retry_after)} if retry_after else {})


Handler = Callable[[Request], Response]
Readiness = Callable[[], dict[str, str | None]]  # check name -> None when fine, else what is wrong


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str  # e.g. "/ingest/{source}"
    handler: Handler

    def match(self, path: str) -> dict[str, str] | None:
        regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.pattern) + "$"
        m = re.match(regex, path)
        return m.groupdict() if m else None


class _BodyError(Exception):
    def __init__(self, response: Response):
        self.response = response


class _GuardedH11(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline for the request line and headers (slow-header clients)."""

    header_timeout = 10.0
    max_connections = 1000
    _header_timer: asyncio.TimerHandle | None = None
    _refused = False

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            log.debug("closing a connection from %s: no request headers within %.0f s", self.client,
                      self.header_timeout)
            self.transport.close()

    def connection_made(self, transport):  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:  # refused before reading anything, with a hint when to retry
            self._refused = True
            transport.write(b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n"
                            b"Connection: close\r\n\r\n")
            # half-close and drain what the client sends meanwhile: closing at once would reset the connection
            # and could destroy the answer before the client reads it
            transport.write_eof()
            self.loop.call_later(2.0, transport.close)
            return
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


class App:
    """The ASGI application: Starlette routes each request; body framing and limits are checked here, then
    the handler runs on a worker thread."""

    def __init__(self, routes: list[Route], limits: Limits = Limits(), readiness: Readiness | None = None):
        self.limits = limits
        self.readiness = readiness
        self.routes = [Route("GET", "/healthz", _healthz), Route("GET", "/readyz", self._readyz), *routes]
        self._threads = anyio.CapacityLimiter(limits.threads)
        self._inflight = 0
        self.asgi = Starlette(routes=[StarletteRoute(r.pattern, self._endpoint(r.handler), methods=[r.method])
                                      for r in self.routes],
                              exception_handlers={404: _not_found, 405: _not_allowed})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.asgi(scope, receive, send)

    def _readyz(self, _req: Request) -> Response:
        checks = self.readiness() if self.readiness is not None else {}
        failed = {name: problem for name, problem in checks.items() if problem}
        body = {"status": "not ready" if failed else "ready",
                "checks": {name: problem or "ok" for name, problem in checks.items()}}
        return Response(503 if failed else 200, body, {"Retry-After": "5"} if failed else {})

    def _endpoint(self, handler: Handler) -> Callable[[StarletteRequest], Awaitable[StarletteResponse]]:
        async def endpoint(request: StarletteRequest) -> StarletteResponse:
            return _starlette(await self._respond(handler, request))

        return endpoint

    async def _respond(self, handler: Handler, request: StarletteRequest) -> Response:
        method, path = request.method, request.url.path
        client = request.client.host if request.client else "?"
        try:
            body = await self._body(method, request.headers, request.receive)
        except _BodyError as exc:
            log.warning("%s %s from %s: %s", method, path, client, exc.response.body)
            return exc.response
        if self._inflight >= self.limits.max_inflight:
            log.warning("%s %s from %s: %d requests in progress, answered 503", method, path, client, self._inflight)
            return json_error(503, "busy, try again shortly", retry_after=1)
        query: dict[str, list[str]] = {}
        for key, value in request.query_params.multi_items():
            query.setdefault(key, []).append(value)
        req = Request(method, path, dict(request.path_params), query, request.headers, body, client)
        self._inflight += 1
        try:
            return await anyio.to_thread.run_sync(_call, handler, req, limiter=self._threads)
        finally:
            self._inflight -= 1

    async def _body(self, method: str, headers: Headers, receive: Receive) -> bytes:
        length_header = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        if length_header is None and not chunked:
            if method in ("POST", "PUT", "PATCH"):
                raise _BodyError(json_error(411, "a body needs Content-Length or chunked transfer encoding"))
            return b""
        if length_header is not None and int(length_header) > self.limits.max_body:  # h11 checked it is a number
            raise _BodyError(json_error(413, f"body must be at most {self.limits.max_body} bytes"))
        chunks, size = [], 0
        deadline = time.monotonic() + self.limits.body_timeout
        while True:
            try:
                message: Message = await asyncio.wait_for(receive(), max(deadline - time.monotonic(), 0.001))
            except TimeoutError:
                raise _BodyError(json_error(408, f"body not received within {self.limits.body_timeout:.0f} s"))
            if message["type"] == "http.disconnect":
                raise _BodyError(json_error(400, "client went away before the body was complete"))
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limits.max_body:
                raise _BodyError(json_error(413, f"body must be at most {self.limits.max_body} bytes"))
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


async def _not_found(_request: StarletteRequest, _exc: Exception) -> StarletteResponse:
    return _starlette(json_error(404, "not found"))


async def _not_allowed(_request: StarletteRequest, _exc: Exception) -> StarletteResponse:
    return _starlette(json_error(405, "method not allowed"))


def _starlette(resp: Response) -> StarletteResponse:
    data, ctype = resp.encoded()
    headers = {k: v for k, v in resp.headers.items() if k.lower() != "content-type"}
    if resp.status in (408, 411, 413) or (resp.status >= 500 and "Retry-After" not in headers):
        headers["Connection"] = "close"  # an unread body may still be on the wire
    return StarletteResponse(data, resp.status, headers, media_type=resp.headers.get("Content-Type", ctype))


def _call(handler: Handler, req: Request) -> Response:
    try:
        return handler(req)
    except (OperationalError, InterfaceError, PoolTimeout) as exc:
        log.warning("%s %s: database unavailable (%s), answered 503", req.method, req.path, type(exc).__name__)
        return json_error(503, "database unavailable, try again later", retry_after=DB_RETRY_AFTER)
    except Exception:
        log.exception("%s %s: handler failed", req.method, req.path)
        return json_error(500, "internal error")


def _healthz(_req: Request) -> Response:
    return Response(200, {"status": "ok"})


class HttpServer:
    """uvicorn serving `App` on its own thread; `start()` binds first, so a taken port fails right there."""

    def __init__(self, host: str, port: int, routes: list[Route], max_body: int = MAX_BODY,
                 limits: Limits | None = None, readiness: Readiness | None = None):
        self.limits = limits or Limits(max_body=max_body)
        self.app = App(routes, self.limits, readiness)
        self._sock = socket.create_server((host, port), backlog=self.limits.backlog,
                                          family=socket.AF_INET6 if ":" in host else socket.AF_INET)
        protocol = type("GuardedH11", (_GuardedH11,), {"header_timeout": self.limits.header_timeout,
                                                       "max_connections": self.limits.max_connections})
        config = uvicorn.Config(self.app, lifespan="off", http=protocol, loop="asyncio",
                                backlog=self.limits.backlog,
                                timeout_keep_alive=self.limits.keep_alive, timeout_graceful_shutdown=10,
                                log_level="warning", access_log=False, server_header=False)
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._sock.getsockname()[:2]
        return f"http://{host}:{port}"

    def start(self, timeout: float = 10.0) -> "HttpServer":
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, name="http",
                                        daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self._server.started:
            raise RuntimeError("the HTTP server did not start")
        log.info("HTTP endpoint listening on %s", self.url)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(15)
        self._sock.close()
