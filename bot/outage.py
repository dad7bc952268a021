"""Calm under outage: a loop that keeps failing logs one line per cause, backs off, and says when it recovered."""
import logging
import threading
import time


def cause_of(exc: BaseException) -> str:
    """The exception's type and first line: the same outage gives the same cause on every poll."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


class Outage:
    """For one worker loop (or one kind of call): `failed(exc)` / `note(cause)` log a new cause once and return
    how long to pause (doubling up to `cap`); `ok()` logs "recovered" (with how long it lasted) after a
    failure and resets the pause. Thread-safe."""

    def __init__(self, what: str, log: logging.Logger, first_pause: float = 1.0, cap: float = 30.0):
        self.what, self.log = what, log
        self.first_pause, self.cap = first_pause, cap
        self.cause: str | None = None
        self.since: float | None = None
        self.pause = first_pause
        self.failures = 0
        self._lock = threading.Lock()

    def failed(self, exc: BaseException) -> float:
        self.log.debug("%s: the failure in full", self.what, exc_info=exc)
        return self.note(cause_of(exc))

    def note(self, cause: str) -> float:
        with self._lock:
            self.failures += 1
            if self.since is None:
                self.since = time.monotonic()
            if cause != self.cause:
                self.log.warning("%s failing: %s; retrying with backoff", self.what, cause)
                self.cause = cause
            pause = self.pause
            self.pause = min(self.pause * 2, self.cap)
            return pause

    def ok(self) -> None:
        with self._lock:
            if self.since is not None:
                self.log.info("%s recovered after %.0f s (%d failed attempts; last: %s)", self.what,
                              time.monotonic() - self.since, self.failures, self.cause)
            self.cause, self.since, self.pause, self.failures = None, None, self.first_pause, 0
