"""One scan of one source: fetch → normalise → (per chunk: dedup → analyse → store → accept_items, which opens
incidents and queues cards → health), each chunk in one transaction, the last one with the source's new read
cursor.

Every other path that stores items (the push webhook, `yuqing import`) goes through `ingest` too.
"""
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from bot import metrics
from bot.analysis.pipeline import Analysis, Analyzer
from bot.config.sources import SourceBase
from bot.errors import SourceError
from bot.incidents.intake import NewItem, accept_items, analyse, analyzer_for, analysis_columns, authority
from bot.items.normalise import NormalisedItem, RawEntry, UnusableEntry, normalise, url_key
from bot.items.records import entry_from_record
from bot.items.store import insert_items, item_values, source_row, unstored
from bot.items.urls import canonical_url
from bot.models import Item, Source
from bot.outage import cause_of
from bot.runtime import Runtime
from jobs.http import Http
from bot.sources.health import record_failure, record_success
from jobs.sources import FETCHERS
from jobs.sources.base import FetchContext, FetchResult

log = logging.getLogger(__name__)


@dataclass
class ScanReport:
    source: str
    fetched: int = 0
    new: int = 0
    matched: int = 0
    skipped: int = 0
    error: str | None = None
    problems: list[str] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (index of the entry, reason)


def normalise_entries(spec: SourceBase, entries: Iterable[RawEntry | None], now: datetime,
                      report: ScanReport) -> Iterator[tuple[int, NormalisedItem]]:
    """The usable entries, normalised as they are consumed (a chunk at a time), with their index; the others
    (None: not even a record) are logged and counted as skipped."""
    for n, entry in enumerate(entries):
        try:
            if entry is None:
                raise UnusableEntry("not a JSON object")
            yield n, normalise(entry, spec.name, spec.platform, now)
        except UnusableEntry as exc:
            _reject(spec, report, n, str(exc))
        except Exception as exc:  # one record the normaliser chokes on must not blind the whole source
            log.exception("source %s: entry %d cannot be normalised", spec.name, n + 1)
            _reject(spec, report, n, f"cannot be read: {type(exc).__name__}: {exc}")


def _reject(spec: SourceBase, report: ScanReport, index: int, reason: str) -> None:
    report.skipped += 1
    report.rejected.append((index, reason))
    log.warning("source %s: entry %d skipped: %s", spec.name, index + 1, reason)


@dataclass
class Analysed:
    """A chunk's items not stored yet, each with its analysis, made outside any transaction."""

    items: list[NormalisedItem]
    analyses: list[Analysis]
    index: dict[int, int]  # id(item) → the entry's position in the batch (for rejections)
    seconds: float


def analyse_chunk(rt: Runtime, spec: SourceBase, chunk: list[tuple[int, NormalisedItem]],
                  todo: list[NormalisedItem], analyzer: Analyzer | None, report: ScanReport) -> Analysed:
    """The chunk's items not stored yet (`todo`), analysed with `analyzer` (the deployment's newest model). It
    reads nothing: callers run it with no transaction open, so the SQLite write lock is free for commands and
    deliveries meanwhile."""
    index = {id(item): n for n, item in chunk}
    started = time.perf_counter()
    fresh, analyses = [], []
    for item in todo:
        try:
            analyses.append(analyse(rt.config, spec.name, item, analyzer))
        except Exception as exc:  # a text the analysis chokes on is rejected alone, the batch goes on
            log.exception("source %s: item %r cannot be analysed", spec.name, item.external_id)
            _reject(spec, report, index[id(item)], f"cannot be analysed: {type(exc).__name__}: {exc}")
            continue
        fresh.append(item)
    return Analysed(fresh, analyses, index, time.perf_counter() - started)


def store_chunk(session: Session, rt: Runtime, spec: SourceBase, row: Source, chunk: Analysed, now: datetime,
                report: ScanReport, healthy: bool = True) -> int:
    """Store the chunk's analysed items and hand them to the incident intake, in `session`'s transaction: one
    insert (items another writer stored meanwhile are dropped by its ON CONFLICT), one grouping pass. Returns
    how many were stored."""
    started = time.perf_counter()
    weight = authority(rt.config, spec.name)
    ids, rejected = insert_items(session, row, chunk.items, [
        item_values(row, item, weight, analysis_columns(a, weight)) for item, a in zip(chunk.items, chunk.analyses)])
    for r in rejected:
        _reject(spec, report, chunk.index[id(r.item)], r.reason)
    new = [NewItem(ids[item.external_id], item, a) for item, a in zip(chunk.items, chunk.analyses)
           if item.external_id in ids]
    report.new += len(new)
    report.matched += accept_items(session, rt.config, spec.name, new, now).matched
    metrics.ANALYSIS_SECONDS.inc(chunk.seconds + time.perf_counter() - started)
    metrics.ITEMS_ANALYSED.inc(len(new))
    if healthy:
        record_success(session, rt.config, row, now, len(new))
    return len(new)


def ingest(rt: Runtime, spec: SourceBase, items: Iterable[tuple[int, NormalisedItem]], now: datetime,
           report: ScanReport, finish: Callable[[Source], None] = lambda row: None, healthy: bool = True) -> int:
    """Store the items in chunks of `scan.chunk_items` (`serving_chunk_items` in `yuqing run`'s ingest child),
    each committed on its own so no transaction (nor the SQLite write lock) is held for a whole scan, and none
    while a chunk is analysed; `finish` (the source's new
    cursor) runs in the last chunk's transaction. Items are taken from `items` a chunk at a time, so what a scan
    holds in memory does not grow with its size. A chunk with something usable in it (or the only, empty chunk
    of an empty fetch) marks the source healthy when `healthy`. Returns how many items were usable.

    A crash between chunks keeps the chunks committed and not the cursor: the next scan reads the same entries
    again, and the dedup stores only those not stored yet — nothing lost, nothing doubled.
    """
    size = rt.config.scan.serving_chunk_items if rt.yielding else rt.config.scan.chunk_items
    pending = iter(items)
    chunk, usable = list(islice(pending, size)), 0
    while True:
        following = list(islice(pending, size)) if chunk else []
        usable += len(chunk)
        last = not following
        with rt.sessions() as session, session.begin():  # what is new, and the model to analyse it with
            row = source_row(session, spec.name, spec.kind, spec.platform, now)
            todo = unstored(session, row, [item for _, item in chunk])
            analyzer = analyzer_for(rt.config, session) if todo else None  # an empty scan loads no models
        analysed = analyse_chunk(rt, spec, chunk, todo, analyzer, report)
        with rt.sessions() as session, session.begin():
            row = source_row(session, spec.name, spec.kind, spec.platform, now)
            store_chunk(session, rt, spec, row, analysed, now, report, healthy and bool(chunk or not report.fetched))
            if last:
                finish(row)
        if last:
            return usable
        chunk = following


def unhealthy(result: FetchResult, report: ScanReport, usable: int) -> str | None:
    """Why a fetch that returned counts as a failure anyway: a malformed document, or entries none of which
    is usable (a feed whose format changed under us must not look healthy forever)."""
    if report.fetched and not usable:
        first = report.rejected[0][1] if report.rejected else "unusable"
        return f"{report.fetched} entries, none usable (first: {first})"
    return result.malformed


def ingest_records(rt: Runtime, spec: SourceBase, records: list, fields: dict[str, str], report: ScanReport) -> int:
    """Records read from a file or pushed to the webhook (JSON objects; anything else is skipped with a reason)
    → stored and handed to the intake in chunks. Returns how many were usable items (stored or duplicates)."""
    now = rt.clock.now()
    entries = (entry_from_record(r, fields) if isinstance(r, dict) else None for r in records)
    ingest(rt, spec, normalise_entries(spec, entries, now, report), now, report)
    return len(records) - len(report.rejected)


def _known_url(rt: Runtime):
    def known(url: str) -> bool:
        key = url_key(canonical_url(url))
        with rt.sessions() as session:
            return key is not None and session.scalar(select(Item.id).where(Item.url_key == key)) is not None
    return known


def _fetch(rt: Runtime, spec: SourceBase, http: Http, now: datetime) -> FetchResult:
    with rt.sessions() as session, session.begin():
        row = source_row(session, spec.name, spec.kind, spec.platform, now)
        ctx = FetchContext(http, rt.loaded.base_dir, row.etag, row.last_modified, dict(row.cursor or {}),
                           dict(os.environ), _known_url(rt))
    return FETCHERS[spec.kind](spec, ctx)


# stores what a fetch returned, filling the report: `store_fetched` here, or the child process of `yuqing run`
StoreFetched = Callable[[SourceBase, FetchResult, datetime, ScanReport], None]


def scan_source(rt: Runtime, spec: SourceBase, http: Http, store: StoreFetched | None = None) -> ScanReport:
    """Scan one source once; failures are logged and recorded in its health, never raised. The fetch (network
    I/O) runs here; what it returned is stored by `store` (default: here too)."""
    started = time.perf_counter()
    try:
        return _scan(rt, spec, http, store or (lambda *args: store_fetched(rt, *args)))
    finally:
        metrics.SCAN_SECONDS.labels(spec.name).observe(time.perf_counter() - started)


def store_fetched(rt: Runtime, spec: SourceBase, result: FetchResult, now: datetime, report: ScanReport) -> None:
    """Normalise, analyse and store what one fetch returned, in chunks, the source's new cursor with the last;
    `report.error` says why the source counts as unwell, if it does."""
    for note in result.problems:
        log.warning("source %s: %s", spec.name, note)
    report.problems, report.fetched = list(result.problems), len(result.entries)

    def finish(row: Source) -> None:
        if not result.not_modified:
            row.etag, row.last_modified = result.etag, result.last_modified
        if result.cursor is not None:
            row.cursor = result.cursor

    # what is usable is kept even when the source is unwell
    usable = ingest(rt, spec, normalise_entries(spec, result.entries, now, report), now, report, finish,
                    healthy=result.malformed is None)
    report.error = unhealthy(result, report, usable)


def failure_reason(spec: SourceBase, exc: Exception) -> str:
    """What a failed scan reports: the source's own error, a database outage in one line, or a bug (logged with
    its traceback)."""
    if isinstance(exc, SourceError):
        return exc.reason
    if isinstance(exc, (OperationalError, InterfaceError)):  # an outage, not a bug: one line, no traceback
        return f"database unavailable: {cause_of(exc)}"
    log.error("source %s: scan failed", spec.name, exc_info=exc)
    return f"internal error: {type(exc).__name__}: {exc}"


def _scan(rt: Runtime, spec: SourceBase, http: Http, store: StoreFetched) -> ScanReport:
    report = ScanReport(spec.name)
    now = rt.clock.now()
    try:
        store(spec, _fetch(rt, spec, http, now), now, report)
    except Exception as exc:  # a bug or a database error must not stop the other sources or the process
        report.error = failure_reason(spec, exc)
    metrics.ITEMS_FETCHED.labels(spec.name).inc(report.fetched)
    metrics.ITEMS_STORED.labels(spec.name).inc(report.new)
    metrics.SCANS.labels(spec.name, "failed" if report.error else "ok").inc()
    if report.error:
        log.warning("source %s: %s", spec.name, report.error)
        _record_failure(rt, spec, report.error)
        return report
    log.info("source %s: %d fetched, %d new, %d matching, %d skipped", spec.name, report.fetched, report.new,
             report.matched, report.skipped)
    return report


def _record_failure(rt: Runtime, spec: SourceBase, reason: str) -> None:
    now = rt.clock.now()
    try:
        with rt.sessions() as session, session.begin():
            record_failure(session, rt.config, source_row(session, spec.name, spec.kind, spec.platform, now),
                           reason, now)
    except (OperationalError, InterfaceError) as exc:
        log.warning("source %s: cannot record the failure: %s", spec.name, cause_of(exc))
    except Exception:
        log.exception("source %s: cannot record the failure", spec.name)


def scan_all(rt: Runtime, http: Http, only: str | None = None) -> list[ScanReport]:
    """Scan every enabled source that is fetched (or just the one named) once."""
    reports = []
    for spec in rt.config.sources:
        if spec.kind in FETCHERS and ((only is None and spec.enabled) or spec.name == only):
            reports.append(scan_source(rt, spec, http))
    return reports
