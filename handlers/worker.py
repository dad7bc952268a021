"""A background worker for chat messages: the intake answers Feishu at once and the work happens here.

Feishu wants an answer within 3 s and the long connection's handlers run on the SDK's event loop, so
neither may wait for the database. One thread keeps the messages of a chat in order.
"""
import logging
import queue
import threading
from collections.abc import Callable

from bot.feishu.events import MessageEvent

log = logging.getLogger(__name__)

_STOP = object()


class CommandWorker:
    def __init__(self, handle: Callable[[MessageEvent], object], name: str = "chat-commands"):
        self._handle = handle
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> "CommandWorker":
        self._thread.start()
        return self

    def submit(self, event: MessageEvent) -> None:
        """Queue a message for handling; never blocks."""
        self._queue.put(event)

    def stop(self, timeout: float = 10.0) -> None:
        """Finish what is queued, then stop."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            event = self._queue.get()
            if event is _STOP:
                return
            try:
                self._handle(event)
            except Exception:  # the dispatcher answers its own errors; this is a last resort
                log.exception("message %s: worker failed", getattr(event, "event_id", "?"))
