"""Loopback HTTP servers for sources: fixed responses by path (or path + query), ETag / Last-Modified,
scripted failures, redirects (loops included), slow answers; every request recorded."""
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Route:
    body: bytes
    status: int = 200
    headers: dict = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0  # seconds before answering
    fail_first: int = 0  # answer the first n requests with `fail_status`
    fail_status: int = 503
    redirect_to: str | None = None  # answer 302 to this path


class SourceServer:
    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.requests: list[dict] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _answer(self, status: int, body: bytes = b"", headers: dict | None = None):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                seen = {"method": self.command, "path": self.path, "query": parse_qs(parts.query),
                        "headers": dict(self.headers), "body": body, "at": time.monotonic()}
                with server._lock:
                    server.requests.append(seen)
                    route = server.route_for(parts.path, seen["query"])
                    n = sum(1 for r in server.requests if r["path"] == self.path)
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    self._respond(route, n)
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _respond(self, route: Route | None, n: int):
                if route is None:
                    return self._answer(404)
                if route.delay:
                    time.sleep(route.delay)
                if n <= route.fail_first:
                    return self._answer(route.fail_status, b"try later")
                if route.redirect_to:
                    return self._answer(302, headers={"Location": route.redirect_to})
                validators = {k: v for k, v in (("ETag", route.etag), ("Last-Modified", route.last_modified)) if v}
                if (route.etag and self.headers.get("If-None-Match") == route.etag) or (
                        route.last_modified and self.headers.get("If-Modified-Since") == route.last_modified):
                    return self._answer(304, headers=validators)
                self._answer(route.status, route.body, {**route.headers, **validators})

            do_GET = do_POST = _serve

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def serve(self, path: str, body: bytes | str = b"", **kw) -> str:
        """Answer requests for `path` (which may carry a query, matched exactly before the bare path)."""
        self.routes[path] = Route(body.encode() if isinstance(body, str) else body, **kw)
        return self.url + path

    def route_for(self, path: str, query: dict[str, list[str]]) -> Route | None:
        """A route whose query parameters are all in the request's, else the one for the bare path."""
        for key, route in self.routes.items():
            key_path, _, key_query = key.partition("?")
            if key_query and key_path == path and all(query.get(k) == v for k, v in parse_qs(key_query).items()):
                return route
        return self.routes.get(path)

    def hits(self, path: str) -> list[dict]:
        return [r for r in self.requests if urlsplit(r["path"]).path == path]

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
