"""The HTTP server over real sockets: routing, framing (chunked, 411, 413, 400), timeouts, limits, 503s."""
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from bot.config import load_config
from bot.db import make_engine, make_session_factory
from bot.runtime import Runtime
from handlers.http_server import HttpServer, Limits, Response, Route
from handlers.ingest_webhook import ingest_routes
from tests.conftest import write_config


def boom(_req):
    raise RuntimeError("handler bug")


def echo(r):
    return Response(202, {"name": r.params["name"], "len": len(r.body), "body": r.body.decode(errors="replace")[:20],
                          "sig": r.headers.get("x-lark-signature"), "q": r.query})


@pytest.fixture
def server():
    routes = [Route("POST", "/echo/{name}", echo), Route("POST", "/boom", boom)]
    srv = HttpServer("127.0.0.1", 0, routes, limits=Limits(max_body=1000, header_timeout=0.5, body_timeout=0.5)).start()
    yield srv
    srv.stop()


def raw(server, data: bytes, wait: float = 3.0) -> bytes:
    """Send bytes on a fresh connection and read until the server closes it or answers one response."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait) as s:
        s.sendall(data)
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
                if b"\r\n\r\n" in out and b"connection: close" not in out.lower():
                    head, _, rest = out.partition(b"\r\n\r\n")
                    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                                   if line.lower().startswith(b"content-length:")), None)
                    if length is not None and len(rest) >= length:
                        break
        except TimeoutError:
            pass
        return out


def status(resp: bytes) -> int:
    return int(resp.split(b" ", 2)[1]) if resp else 0


def test_routes_params_query_and_case_insensitive_headers(server):
    r = httpx.post(f"{server.url}/echo/abc?x=1&x=2", content=b"12345", headers={"X-Lark-Signature": "s1"})
    assert r.status_code == 202
    assert r.json() == {"name": "abc", "len": 5, "body": "12345", "sig": "s1", "q": {"x": ["1", "2"]}}


def test_healthz_readyz_404_405_and_handler_errors(server):
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{server.url}/readyz").json() == {"status": "ready", "checks": {}}
    assert httpx.get(f"{server.url}/nope").status_code == 404
    assert httpx.get(f"{server.url}/echo/x").status_code == 405
    assert httpx.post(f"{server.url}/boom", content=b"").status_code == 500
    assert httpx.get(f"{server.url}/healthz").status_code == 200  # still serving


def test_readyz_names_what_is_not_ready():
    checks = {"database": None, "scheduler": "not running"}
    srv = HttpServer("127.0.0.1", 0, [], readiness=lambda: checks).start()
    try:
        r = httpx.get(f"{srv.url}/readyz")
        assert r.status_code == 503 and r.headers["retry-after"]
        assert r.json() == {"status": "not ready", "checks": {"database": "ok", "scheduler": "not running"}}
        assert httpx.get(f"{srv.url}/healthz").status_code == 200  # alive all the same
        checks["scheduler"] = None
        assert httpx.get(f"{srv.url}/readyz").status_code == 200
    finally:
        srv.stop()


def test_oversized_body_is_refused_declared_or_chunked(server):
    assert httpx.post(f"{server.url}/echo/x", content=b"x" * 5000).status_code == 413

    def chunks():
        for _ in range(10):
            yield b"y" * 200

    assert httpx.post(f"{server.url}/echo/x", content=chunks()).status_code == 413


def test_chunked_body_is_read_whole(server):
    def chunks():
        yield b"hello "
        yield "世界".encode()

    r = httpx.post(f"{server.url}/echo/x", content=chunks())
    assert r.request.headers["transfer-encoding"] == "chunked"
    assert r.status_code == 202 and r.json()["body"] == "hello 世界"


def test_a_post_without_length_gets_411(server):
    resp = raw(server, b"POST /echo/x HTTP/1.1\r\nHost: t\r\n\r\n")
    assert status(resp) == 411 and b"Content-Length" in resp


def test_malformed_framing_gets_400(server):
    assert status(raw(server, b"POST /echo/x HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n")) == 400
    assert status(raw(server, b"GARBAGE\r\n\r\n")) == 400


def test_non_ascii_header_is_just_text(server):
    resp = raw(server, b"POST /echo/x HTTP/1.1\r\nHost: t\r\nX-Lark-Signature: \xe4\xb8\xad\r\n"
                       b"Content-Length: 2\r\n\r\nok")
    assert status(resp) == 202


def test_slow_headers_are_cut_off_without_a_thread_each(server):
    host, port = server.url.removeprefix("http://").split(":")
    threads_before = threading.active_count()
    conns = []
    for _ in range(200):
        s = socket.create_connection((host, int(port)), timeout=5)
        s.sendall(b"POST /echo/x HTTP/1.1\r\nHost: t\r\n")  # and never the rest
        conns.append(s)
    assert threading.active_count() <= threads_before + 2
    assert httpx.get(f"{server.url}/healthz").status_code == 200  # served meanwhile
    time.sleep(1.0)  # header_timeout is 0.5 s
    closed = sum(1 for s in conns if s.recv(1) == b"")
    for s in conns:
        s.close()
    assert closed == 200


def test_a_body_that_stalls_gets_408(server):
    resp = raw(server, b"POST /echo/x HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
    assert status(resp) == 408


def test_one_hundred_concurrent_pushes_are_all_served():
    # the listen backlog takes the burst (none is reset); max_inflight is raised so none is asked to come back
    srv = HttpServer("127.0.0.1", 0, [Route("POST", "/echo/{name}", echo)], limits=Limits(max_inflight=200)).start()

    def push(i):
        return httpx.post(f"{srv.url}/echo/n{i}", content=b"x", timeout=20).status_code

    try:
        with ThreadPoolExecutor(100) as pool:
            codes = list(pool.map(push, range(100)))
    finally:
        srv.stop()
    assert codes == [202] * 100


def test_too_many_requests_in_progress_get_503_with_retry_after():
    release = threading.Event()

    def slow(_req):
        release.wait(5)
        return Response(200, {})

    srv = HttpServer("127.0.0.1", 0, [Route("POST", "/slow", slow)], limits=Limits(max_inflight=2, threads=2)).start()
    try:
        with ThreadPoolExecutor(2) as pool:
            busy = [pool.submit(httpx.post, f"{srv.url}/slow", content=b"", timeout=10) for _ in range(2)]
            deadline = time.monotonic() + 5
            while srv.app._inflight < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            r = httpx.post(f"{srv.url}/slow", content=b"")
            release.set()
            assert [f.result().status_code for f in busy] == [200, 200]
        assert r.status_code == 503 and r.headers["retry-after"] == "1"
    finally:
        release.set()
        srv.stop()


def test_ingest_answers_503_with_retry_after_when_the_database_is_down(tmp_path):
    # a real PostgreSQL URL on a port nothing listens on: every connection attempt is refused
    url = "postgresql+psycopg://postgres@127.0.0.1:9/down"
    loaded = load_config(write_config(tmp_path, {"database": {"url": url, "auto_migrate": False},
                                                 "sources": [{"name": "heimao", "kind": "webhook",
                                                              "token_env": "HEIMAO_TOKEN"}]}), env={})
    engine = make_engine(url)
    rt = Runtime(loaded, engine, make_session_factory(engine))
    srv = HttpServer("127.0.0.1", 0, ingest_routes(rt, env={"HEIMAO_TOKEN": "t"})).start()
    try:
        r = httpx.post(f"{srv.url}/ingest/heimao", content=b'{"id": "1", "title": "x"}',
                       headers={"Authorization": "Bearer t"})
        assert r.status_code == 503 and int(r.headers["retry-after"]) > 0
        assert "database" in r.json()["error"]
    finally:
        srv.stop()
        engine.dispose()


def test_a_taken_port_fails_at_once(server):
    port = int(server.url.rsplit(":", 1)[1])
    with pytest.raises(OSError):
        HttpServer("127.0.0.1", port, [])


def test_connections_beyond_the_limit_get_503_with_retry_after():
    srv = HttpServer("127.0.0.1", 0, [], limits=Limits(max_connections=5, header_timeout=5)).start()
    host, port = srv.url.removeprefix("http://").split(":")
    held = [socket.create_connection((host, int(port)), timeout=5) for _ in range(5)]
    try:
        time.sleep(0.2)
        extra = raw(srv, b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        assert status(extra) == 503 and b"retry-after: 1" in extra.lower()
        for s in held:
            s.close()
        time.sleep(0.2)
        assert httpx.get(f"{srv.url}/healthz").status_code == 200  # room again
    finally:
        srv.stop()
