"""The worker for chat messages: the intake answers Feishu at once and the work happens here.

Feishu wants an answer within 3 s and the long connection's handlers run on the SDK's event loop, so
neither may wait for a command to run. But once Feishu has its answer it never sends the message again,
so `submit` first writes the message to the `chat_inbox` table (one short insert; a redelivered event id
is already there) and only then is Feishu answered. The worker thread takes pending rows oldest first —
including rows left by a process that stopped or crashed — and marks each handled. If it dies between
handling and marking, the dispatcher's processed-event row makes the second run a no-op.
"""
import logging
import threading
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.feishu.events import MessageEvent, message_from_dict, message_to_dict
from bot.models import InboxEvent
from bot.outage import Outage
from bot.wakeup import INBOX, SIGNALS, Signals

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
POLL_SECONDS = 2.0  # the fallback: a stored row wakes the worker at once (bot.wakeup)


class CommandWorker:
    def __init__(self, handle: Callable[[MessageEvent], object], sessions: sessionmaker[Session], clock: Clock,
                 name: str = "chat-commands", signals: Signals | None = SIGNALS, poll: float = POLL_SECONDS):
        self._handle = handle
        self._sessions = sessions
        self._clock = clock
        # signals=None: polling only (the benchmark's baseline)
        self._signals, self._poll = signals, poll
        self._wake = signals.subscribe(INBOX) if signals is not None else threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> "CommandWorker":
        self._thread.start()
        return self

    def submit(self, event: MessageEvent) -> None:
        """Keep the message in the inbox (durably) and wake the worker; returns once it is stored."""
        try:
            with self._sessions() as session, session.begin():
                session.add(InboxEvent(event_id=event.event_id, payload=message_to_dict(event), status="pending",
                                       attempts=0, received_at=self._clock.now()))
        except IntegrityError:
            log.info("message event %s is already in the inbox: redelivery ignored", event.event_id)
        # the commit woke the worker (bot.wakeup)

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the pending messages, then stop."""
        if self._thread.is_alive():
            self._stopping.set()
            self._wake.set()
            self._thread.join(timeout)

    def drain(self) -> int:
        """Handle every pending message now, in this thread; returns how many were taken."""
        taken = 0
        while (row := self._next()) is not None:
            taken += 1
            row_id, payload = row
            try:
                self._handle(message_from_dict(payload))
            except Exception as exc:  # the dispatcher answers its own errors; this is a last resort
                log.exception("inbox %s: handling failed", row_id)
                self._finish(row_id, error=f"{type(exc).__name__}: {exc}")
                continue
            self._finish(row_id)
        return taken

    def _next(self) -> tuple[int, dict] | None:
        """Take the oldest pending message; one that failed MAX_ATTEMPTS times is set aside as failed."""
        with self._sessions() as session, session.begin():
            stmt = select(InboxEvent).where(InboxEvent.status == "pending").order_by(InboxEvent.id).limit(1)
            if session.get_bind().dialect.name == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            while (row := session.scalar(stmt)) is not None:
                row.attempts += 1
                if row.attempts <= MAX_ATTEMPTS:
                    return row.id, dict(row.payload)
                row.status = "failed"
                log.error("inbox %s (event %s): given up after %d attempts", row.id, row.event_id, MAX_ATTEMPTS)
                session.flush()
            return None

    def _finish(self, row_id: int, error: str | None = None) -> None:
        with self._sessions() as session, session.begin():
            values: dict[str, object] = {"handled_at": self._clock.now()}
            if error is None:
                values["status"] = "done"
            else:
                values["last_error"] = error
            session.execute(update(InboxEvent).where(InboxEvent.id == row_id).values(**values))

    def _run(self) -> None:
        outage = Outage("chat inbox worker", log)
        try:
            while True:
                pause = self._poll
                self._wake.clear()
                try:
                    self.drain()
                    outage.ok()
                except Exception as exc:
                    pause = outage.failed(exc)
                if self._stopping.is_set():
                    return
                if outage.cause is not None:
                    self._stopping.wait(pause)  # during an outage, wake-ups do not shorten the backoff
                else:
                    self._wake.wait(pause)
        finally:
            if self._signals is not None:
                self._signals.unsubscribe(INBOX, self._wake)
