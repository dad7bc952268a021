"""Wake-ups: a committed inbox or outbox row wakes its worker at once, in this process and in every replica.

Whoever writes the row need not know: a session hook notes new `Delivery` / `InboxEvent` rows at flush; on
PostgreSQL it also queues `pg_notify` in the same transaction (so the notice goes out exactly when the row
becomes visible, and never for a rolled-back one), and after the commit it fires the in-process signal. A
`Listener` thread per process LISTENs on the channels and fires the same signals for rows written by other
replicas. Workers still poll now and then: a lost notice (a listener reconnecting, a row written by bulk SQL)
costs at most one poll interval, never the row.
"""
import logging
import threading

from sqlalchemy import event, make_url, text
from sqlalchemy.orm import Session

from bot.models import Delivery, InboxEvent

log = logging.getLogger(__name__)

OUTBOX = "yuqing_outbox"
INBOX = "yuqing_inbox"
_CHANNEL_OF = {Delivery: OUTBOX, InboxEvent: INBOX}


class Signals:
    """Process-wide named signals: each subscriber gets its own Event, set whenever its channel fires."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, list[threading.Event]] = {}

    def subscribe(self, channel: str) -> threading.Event:
        ev = threading.Event()
        with self._lock:
            self._events.setdefault(channel, []).append(ev)
        return ev

    def unsubscribe(self, channel: str, ev: threading.Event) -> None:
        with self._lock:
            if ev in self._events.get(channel, []):
                self._events[channel].remove(ev)

    def fire(self, channel: str) -> None:
        with self._lock:
            events = list(self._events.get(channel, []))
        for ev in events:
            ev.set()


SIGNALS = Signals()


def _after_flush(session: Session, _context) -> None:
    channels = {_CHANNEL_OF[type(obj)] for obj in session.new if type(obj) in _CHANNEL_OF}
    if not channels:
        return
    pending: set[str] = session.info.setdefault("wake", set())
    fresh = channels - pending
    pending |= channels
    bind = session.get_bind()
    if fresh and bind.dialect.name == "postgresql":
        conn = session.connection()
        for channel in sorted(fresh):
            conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": channel})


def _after_commit(session: Session) -> None:
    for channel in session.info.pop("wake", ()):
        SIGNALS.fire(channel)


def _after_rollback(session: Session) -> None:
    session.info.pop("wake", None)


_installed = False
_install_lock = threading.Lock()


def install() -> None:
    """Hook every Session once per process (idempotent)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", lambda session, _tx: _after_rollback(session))
        _installed = True


class Listener:
    """LISTEN on the wake-up channels of a PostgreSQL database and fire the signals (one thread)."""

    def __init__(self, url: str, channels: tuple[str, ...] = (OUTBOX, INBOX), signals: Signals = SIGNALS):
        self.conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.channels = channels
        self.signals = signals
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-listen", daemon=True)
        self.connected = threading.Event()

    def start(self) -> "Listener":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        import psycopg

        pause, failing = 1.0, None
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5) as conn:
                    for channel in self.channels:
                        conn.execute(f"LISTEN {channel}")
                    self.connected.set()
                    if failing is not None:
                        log.info("wake-up listener recovered after: %s", failing)
                        failing, pause = None, 1.0
                    for channel in self.channels:  # anything written while we were away
                        self.signals.fire(channel)
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=1.0):
                            self.signals.fire(note.channel)
            except Exception as exc:  # an outage: one line per cause, then back off
                self.connected.clear()
                cause = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                if cause != failing:
                    log.warning("wake-up listener lost the database (%s); workers poll until it is back", cause)
                    failing = cause
                self._stop.wait(pause)
                pause = min(pause * 2, 30.0)


install()  # whoever imports this (the workers do) gets the hooks
