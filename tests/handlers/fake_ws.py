"""A loopback fake of Feishu's long-connection endpoint, speaking the SDK's frame protocol.

POST /callback/ws/endpoint answers with a ws:// URL (device_id, service_id) and all four ClientConfig
keys; the WebSocket side answers pings with pongs, pushes events as DATA frames (pbbp2.Frame, type=event)
and records the client's acks by message_id.
"""
import asyncio
import base64
import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import websockets
from lark_oapi.ws.pb.pbbp2_pb2 import Frame

SERVICE_ID = 7
CLIENT_CONFIG = {"ReconnectCount": -1, "ReconnectInterval": 120, "ReconnectNonce": 0, "PingInterval": 120}


def _header(frame: Frame, key: str, value: str) -> None:
    h = frame.headers.add()
    h.key, h.value = key, value


class FakeWsEndpoint:
    def __init__(self):
        self.discoveries: list[dict] = []
        self.pings = 0
        self.acks: dict[str, dict] = {}
        self.connected = threading.Event()
        self._acked = threading.Condition()
        self._ids = itertools.count(1)
        self._ws = None
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._serve(), self.loop).result(5)
        self.ws_port = self._server.sockets[0].getsockname()[1]
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._discovery_handler())
        threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    async def _serve(self):
        # a stopped client never answers the closing handshake: do not wait long for it
        return await websockets.serve(self._connection, "127.0.0.1", 0, close_timeout=0.2)

    def _discovery_handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                fake.discoveries.append({"path": self.path, "body": body})
                url = f"ws://127.0.0.1:{fake.ws_port}/ws?device_id=dev1&service_id={SERVICE_ID}"
                data = json.dumps({"code": 0, "msg": "ok", "data": {"URL": url, "ClientConfig": CLIENT_CONFIG}}).encode()
                self.send_response(200 if self.path == "/callback/ws/endpoint" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    async def _connection(self, ws):
        self._ws = ws
        self.connected.set()
        async for raw in ws:
            frame = Frame()
            frame.ParseFromString(raw)
            headers = {h.key: h.value for h in frame.headers}
            if frame.method == 0 and headers.get("type") == "ping":
                self.pings += 1
                pong = Frame(SeqID=0, LogID=0, service=SERVICE_ID, method=0, payload=json.dumps(CLIENT_CONFIG).encode())
                _header(pong, "type", "pong")
                await ws.send(pong.SerializeToString())
            elif frame.method == 1:
                payload = json.loads(frame.payload)
                if payload.get("data"):
                    payload["data"] = json.loads(base64.b64decode(payload["data"]))
                with self._acked:
                    self.acks[headers["message_id"]] = {"headers": headers, "payload": payload}
                    self._acked.notify_all()

    def push(self, doc: dict, kind: str = "event") -> str:
        """Send one event as Feishu does (a single DATA frame); returns its frame message_id."""
        assert self.connected.wait(10), "the client never connected"
        n = next(self._ids)
        message_id = f"msg-{n}"
        frame = Frame(SeqID=n, LogID=n, service=SERVICE_ID, method=1,
                      payload=json.dumps(doc, ensure_ascii=False).encode())
        for key, value in (("type", kind), ("message_id", message_id), ("sum", "1"), ("seq", "0"),
                           ("trace_id", f"trace-{n}")):
            _header(frame, key, value)
        asyncio.run_coroutine_threadsafe(self._ws.send(frame.SerializeToString()), self.loop).result(5)
        return message_id

    def ack(self, message_id: str, timeout: float = 5.0) -> dict:
        with self._acked:
            assert self._acked.wait_for(lambda: message_id in self.acks, timeout), f"no ack for {message_id}"
            return self.acks[message_id]

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        self.loop.call_soon_threadsafe(self._server.close)  # also closes connections still open
        asyncio.run_coroutine_threadsafe(self._server.wait_closed(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
