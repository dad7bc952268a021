"""Turns at a SQLite file's write lock between processes, with the serving process first.

`yuqing run` ingests in a child process (jobs.ingest_process) that writes the same file as the process that
answers commands. Left to SQLite, a waiting writer polls with growing sleeps (up to 100 ms apart), and the
ingest, which commits a chunk and soon begins the next, often takes the lock again before a waiting command's
poll comes round: replies took ten times their idle time during a big ingest. So every writer of the file
first takes an exclusive `flock` on `<file>-writer` (released the moment its transaction ends, checked every
millisecond by a waiter), and a bulk writer (`yielding`) lets a serving writer go first: serving writers hold a
shared lock on `<file>-urgent` while they wait for a turn, hold one, and for a short while after (a command's
few transactions follow one another closely), and a yielding writer begins only when it can take that file
exclusively, or after `patience` seconds, so an ingest is slowed by a stream of commands, never stopped.

Only where `fcntl` exists (POSIX); elsewhere SQLite's own busy handling is all there is.
"""
import logging
import os
import struct
import threading
import time

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

POLL = 0.001
LINGER = 0.05  # how long a serving writer's claim outlasts its transaction: its command's next one comes soon
PATIENCE = 1.0  # the longest a yielding writer stands back for serving writers before it takes its turn


class WriteTurns:
    """The cross-process part of one engine's write turns; within a process `bot.db.WriteGate` orders threads,
    so at most one thread of the process takes and gives the turn at a time. Claims are counted: several
    threads of a serving process may be waiting at once."""

    def __init__(self, path: str, yielding: bool, timeout: float, patience: float = PATIENCE):
        self.yielding, self.timeout, self.patience = yielding, timeout, patience
        self._writer = os.open(f"{path}-writer", os.O_RDWR | os.O_CREAT, 0o644)
        self._urgent = os.open(f"{path}-urgent", os.O_RDWR | os.O_CREAT, 0o644)
        self._lock = threading.Lock()
        self._claims = 0

    # serving writers: announce before waiting in this process's queue, so the bulk writer stands back early
    def claim(self) -> None:
        if self.yielding:
            return
        with self._lock:
            self._claims += 1
            if self._claims == 1:
                fcntl.flock(self._urgent, fcntl.LOCK_SH)  # shared locks never wait for each other

    def unclaim(self) -> None:
        if self.yielding:
            return
        with self._lock:
            self._claims -= 1
            if self._claims == 0:
                # when the claim ended (CLOCK_MONOTONIC is the same in every process): its lingering time
                os.pwrite(self._urgent, struct.pack("d", time.monotonic()), 0)
                fcntl.flock(self._urgent, fcntl.LOCK_UN)

    def _serving_writers_quiet(self) -> bool:
        try:
            fcntl.flock(self._urgent, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        try:
            stamp = os.pread(self._urgent, 8, 0)
        finally:
            fcntl.flock(self._urgent, fcntl.LOCK_UN)
        return len(stamp) < 8 or time.monotonic() - struct.unpack("d", stamp)[0] >= LINGER

    def take(self) -> None:
        """Wait for the file's write turn (after standing back for serving writers, if yielding)."""
        start = time.monotonic()
        if self.yielding:
            while time.monotonic() - start < self.patience and not self._serving_writers_quiet():
                time.sleep(POLL)
        while True:
            try:
                fcntl.flock(self._writer, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() - start > self.timeout:
                    raise TimeoutError("database is locked: another process held its write turn too long")
                time.sleep(POLL)

    def give(self) -> None:
        fcntl.flock(self._writer, fcntl.LOCK_UN)

    def close(self) -> None:
        for fd in (self._writer, self._urgent):
            os.close(fd)


def write_turns(database: str | None, yielding: bool, timeout: float) -> WriteTurns | None:
    """The turns for a SQLite database file (None: in memory, no `fcntl` here, or the lock files cannot be made
    beside the database, when SQLite's own busy handling is all there is)."""
    if fcntl is None or not database or database == ":memory:" or database.startswith("file:"):
        return None
    try:
        return WriteTurns(database, yielding, timeout)
    except OSError as exc:
        log.warning("no write turns for %s (%s): SQLite's busy wait alone orders its writers", database, exc)
        return None
