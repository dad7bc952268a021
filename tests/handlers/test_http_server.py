import httpx
import pytest

from handlers.http_server import HttpServer, Response, Route


def boom(_req):
    raise RuntimeError("handler bug")


@pytest.fixture
def server():
    routes = [Route("POST", "/echo/{name}", lambda r: Response(202, {"name": r.params["name"], "len": len(r.body),
                                                                      "sig": r.headers.get("x-lark-signature")})),
              Route("POST", "/boom", boom)]
    srv = HttpServer("127.0.0.1", 0, routes, max_body=1000).start()
    yield srv
    srv.stop()


def test_routes_params_and_case_insensitive_headers(server):
    r = httpx.post(f"{server.url}/echo/abc", content=b"12345", headers={"X-Lark-Signature": "s1"})
    assert r.status_code == 202 and r.json() == {"name": "abc", "len": 5, "sig": "s1"}


def test_healthz_404_405_and_handler_errors(server):
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{server.url}/nope").status_code == 404
    assert httpx.get(f"{server.url}/echo/x").status_code == 405
    assert httpx.post(f"{server.url}/boom").status_code == 500
    assert httpx.get(f"{server.url}/healthz").status_code == 200  # still serving


def test_oversized_body_is_refused(server):
    r = httpx.post(f"{server.url}/echo/x", content=b"x" * 5000)
    assert r.status_code == 413
