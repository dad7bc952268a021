"""The long connection (feishu.event_mode: ws): lark-oapi's WebSocket client feeds the same dispatcher.

The SDK runs its handlers synchronously on its own event loop (`lark_oapi.ws.client.loop`, made at
import), where a slow handler delays pings and acks: messages go to the worker at once; a button runs
its short transaction there, since the answer (toast + card) travels back in the ack frame. The client
runs in a thread of ours on that loop, which nothing else in the process uses.
"""
import asyncio
import json
import logging
import threading

import lark_oapi as lark
import lark_oapi.ws.client as ws_client
from lark_oapi.event.callback.model.p2_card_action_trigger import P2CardActionTrigger, P2CardActionTriggerResponse
from lark_oapi.event.custom import CustomizedEvent

from bot.feishu.events import CardActionEvent, EventRejected, MessageEvent, parse_event
from handlers.dispatch import Dispatcher
from handlers.intake_http import card_response
from handlers.worker import CommandWorker

log = logging.getLogger(__name__)


def _document(data: object) -> dict:
    """The SDK's typed event back into the JSON document Feishu sent (same parser as the HTTP intake)."""
    return json.loads(lark.JSON.marshal(data))


class WsIntake:
    def __init__(self, app_id: str, app_secret: str, domain: str, dispatcher: Dispatcher, worker: CommandWorker,
                 log_level: lark.LogLevel = lark.LogLevel.WARNING):
        self.dispatcher, self.worker = dispatcher, worker
        self.client = lark.ws.Client(app_id, app_secret, event_handler=self.event_handler(), domain=domain,
                                     log_level=log_level)
        self._thread: threading.Thread | None = None

    def event_handler(self) -> lark.EventDispatcherHandler:
        return (lark.EventDispatcherHandler.builder("", "")
                .register_p2_customized_event("im.message.receive_v1", self.on_message)
                .register_p2_card_action_trigger(self.on_card)
                .build())

    def on_message(self, data: CustomizedEvent) -> None:
        try:
            event = parse_event(_document(data))
        except EventRejected as exc:
            log.warning("long connection: message event refused: %s", exc.reason)
            return
        if isinstance(event, MessageEvent):
            self.worker.submit(event)

    def on_card(self, data: P2CardActionTrigger) -> P2CardActionTriggerResponse:
        try:
            event = parse_event(_document(data))
        except EventRejected as exc:
            log.warning("long connection: card event refused: %s", exc.reason)
            return P2CardActionTriggerResponse({})
        if not isinstance(event, CardActionEvent):
            return P2CardActionTriggerResponse({})
        return P2CardActionTriggerResponse(card_response(self.dispatcher.handle_card(event)))

    # -- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> "WsIntake":
        self._thread = threading.Thread(target=self._run, name="feishu-ws", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        loop = ws_client.loop
        asyncio.set_event_loop(loop)
        try:
            self.client.start()  # returns only when the loop is stopped
        except RuntimeError as exc:
            if loop.is_running() or "stopped" not in str(exc):
                log.exception("long connection stopped unexpectedly")
        except Exception:
            log.exception("long connection failed")
        finally:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending and not loop.is_running():
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))

    def stop(self, timeout: float = 5.0) -> None:
        ws_client.loop.call_soon_threadsafe(ws_client.loop.stop)
        if self._thread is not None:
            self._thread.join(timeout)
