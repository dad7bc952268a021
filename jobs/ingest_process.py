"""Scans and pushed batches in a child process of `yuqing run`.

The analysis is CPU-bound Python. Run in the process that answers Feishu events and commands, it held the GIL
from their threads: a reply makes dozens of database and network round trips, and after each one its thread
waited for the analysing thread to give the GIL up (up to the 5 ms switch interval), so replies took ten times
their usual time while a big scan ran. One child process, spawned once, takes the ingests one at a time; what it
stores is in the database, exactly as when the parent stored it (chunks, cursors, dedup), so a child killed in
the middle loses and doubles nothing, and the next ingest starts a new child.
"""
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from typing import Any, TypeVar

from bot.config import LoadedConfig
from bot.config.sources import SourceBase
from jobs.scan import ScanReport
from jobs.sources.base import FetchResult

log = logging.getLogger(__name__)

T = TypeVar("T")


class IngestProcess:
    """The child process that analyses and stores for the parent: what its scans fetched (`store_fetched`) and
    pushed batches (`ingest_records`)."""

    def __init__(self, loaded: LoadedConfig):
        self._loaded = loaded
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> "IngestProcess":
        """Spawn the child and wait until its models are loaded, so the first scan runs on time."""
        self._call(_child_ready)
        return self

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_child_start, initargs=(self._loaded, logging.getLogger().level))

    def _call(self, fn: Callable[..., T], *args: Any) -> T:
        with self._lock:
            pool = self._pool = self._pool or self._new()
        try:
            return pool.submit(fn, *args).result()
        except BrokenProcessPool:
            with self._lock:
                if self._pool is pool:  # the next call starts a new child
                    self._pool = None
            pool.shutdown(wait=False)
            raise

    def store_fetched(self, spec: SourceBase, result: FetchResult, now: datetime, report: ScanReport) -> None:
        """`jobs.scan.store_fetched` in the child: what a fetch made here returned is analysed and stored there.
        Raises BrokenProcessPool if the child died (what it committed before is stored)."""
        _copy(self._call(_child_store, spec.name, result, now, report), report)

    def ingest(self, spec: SourceBase, records: list, fields: dict[str, str], report: ScanReport) -> int:
        """`jobs.scan.ingest_records` in the child: fills `report`, returns how many records were usable.
        Raises BrokenProcessPool if the child died (what it committed before is stored)."""
        usable, done = self._call(_child_ingest, spec.name, records, fields, report.fetched)
        _copy(done, report)
        return usable

    @property
    def pid(self) -> int | None:
        """The child's process id, once it runs (for operators and tests)."""
        with self._lock:
            pool = self._pool
        processes = getattr(pool, "_processes", None) or {}
        return next(iter(processes), None)

    def stop(self) -> None:
        """Let the running ingest finish, then end the child."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)


def _copy(done: ScanReport, report: ScanReport) -> None:
    for name in ("fetched", "new", "matched", "skipped", "error"):
        setattr(report, name, getattr(done, name))
    report.rejected, report.problems = done.rejected, done.problems


# -- in the child -------------------------------------------------------------------------------------------
_child: dict[str, Any] = {}


def _child_start(loaded: LoadedConfig, level: int) -> None:
    from bot.incidents.intake import analyzer_for
    from bot.runtime import Runtime

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent stops the child
    _die_with_parent()
    logging.basicConfig(level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    rt = Runtime.open(loaded, migrate=False, yielding=True)  # the parent migrated; its commands go first
    analyzer_for(rt.config)  # loaded once, before the first ingest
    _child.update(rt=rt)  # the fetches stay in the parent: no HTTP client here


def _die_with_parent() -> None:
    """A parent killed with SIGKILL takes the child with it within a second, as when the scan ran in the parent:
    an orphan would go on scanning a source whose lease has lapsed. (Not prctl's parent-death signal: it follows
    the thread that spawned the child, and a new child is spawned from whichever thread needs it.)"""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)  # the open chunk's transaction ends with the connection: nothing half-stored

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _child_ready() -> bool:
    return "rt" in _child


def _spec(name: str) -> SourceBase:
    return next(s for s in _child["rt"].config.sources if s.name == name)


def _child_store(name: str, result: FetchResult, now: datetime, report: ScanReport) -> ScanReport:
    from jobs.scan import failure_reason, store_fetched

    spec = _spec(name)
    try:
        store_fetched(_child["rt"], spec, result, now, report)
    except Exception as exc:  # reported as in the parent: database errors need not unpickle there
        report.error = failure_reason(spec, exc)
    return report


def _child_ingest(name: str, records: list, fields: dict[str, str], fetched: int) -> tuple[int, ScanReport]:
    from jobs.scan import ingest_records

    report = ScanReport(name, fetched=fetched)
    return ingest_records(_child["rt"], _spec(name), records, fields, report), report
