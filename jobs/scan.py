"""One scan of one source: fetch → normalise → match → store → incident service (which queues the cards)."""
import logging
from dataclasses import dataclass, field

import httpx
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config.sources import SourceSpec
from bot.errors import SourceError
from bot.incidents.intake import accept_items
from bot.items.normalise import NormalisedItem, UnusableEntry, normalise
from bot.models import Item, Source
from bot.runtime import Runtime
from jobs.sources.rss import fetch_rss

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


def _source_row(session: Session, spec: SourceSpec, now) -> Source:
    row = session.scalar(select(Source).where(Source.name == spec.name))
    if row is None:
        row = Source(name=spec.name, kind=spec.kind, platform=spec.platform, cursor={}, created_at=now)
        session.add(row)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError:  # another scan created it first
            row = session.scalar(select(Source).where(Source.name == spec.name))
    return row


def scan_source(rt: Runtime, spec: SourceSpec, http: httpx.Client) -> ScanReport:
    """Scan one source once; failures are recorded in its health, never raised."""
    report = ScanReport(spec.name)
    now = rt.clock.now()
    with rt.sessions() as session, session.begin():
        row = _source_row(session, spec, now)
        etag, last_modified = row.etag, row.last_modified
    try:
        result = fetch_rss(spec, http, rt.config.scan.max_body_bytes, etag, last_modified, rt.loaded.base_dir)
    except SourceError as exc:
        report.error = exc.reason
        log.warning("source %s: %s", spec.name, exc.reason)
        _record_failure(rt, spec, exc.reason)
        return report
    for problem in result.problems:
        log.warning("source %s: %s", spec.name, problem)
    report.problems = list(result.problems)
    report.fetched = len(result.entries)
    items = []
    for n, entry in enumerate(result.entries, 1):
        try:
            items.append(normalise(entry, spec.name, spec.platform, now))
        except UnusableEntry as exc:
            report.skipped += 1
            log.warning("source %s: entry %d skipped: %s", spec.name, n, exc)
    with rt.sessions() as session, session.begin():
        row = _source_row(session, spec, now)
        stored = [row_ for item in items if (row_ := _store(session, row, item)) is not None]
        report.new = len(stored)
        report.matched = accept_items(session, rt.config, spec.name, stored, now).matched
        row.etag, row.last_modified = result.etag, result.last_modified
        row.last_success_at, row.consecutive_failures, row.last_error = now, 0, None
        row.items_fetched += report.new
    log.info("source %s: %d fetched, %d new, %d matching", spec.name, report.fetched, report.new, report.matched)
    return report


def _store(session: Session, source: Source, item: NormalisedItem) -> Item | None:
    """Insert the item unless it is already stored (same source and id, or same canonical URL)."""
    exists = select(Item.id).where(Item.source_id == source.id, Item.external_id == item.external_id)
    if session.scalar(exists) is not None:
        return None
    if item.url_key and session.scalar(select(Item.id).where(Item.url_key == item.url_key)) is not None:
        return None
    row = Item(source_id=source.id, external_id=item.external_id, url_key=item.url_key, url=item.url,
               platform=item.platform, title=item.title, text=item.text, author=item.author,
               published_at=item.published_at, fetched_at=item.fetched_at, views=item.views,
               reposts=item.reposts, comments=item.comments, likes=item.likes, brands=[], topics=[])
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # a racing scan stored it between the check and the insert
        return None
    return row


def _record_failure(rt: Runtime, spec: SourceSpec, reason: str) -> None:
    now = rt.clock.now()
    with rt.sessions() as session, session.begin():
        row = _source_row(session, spec, now)
        row.last_error_at, row.last_error = now, reason
        row.consecutive_failures += 1


def scan_all(rt: Runtime, http: httpx.Client, only: str | None = None) -> list[ScanReport]:
    """Scan every enabled source (or just the one named) once."""
    reports = []
    for spec in rt.config.sources:
        if (only is None and spec.enabled) or spec.name == only:
            reports.append(scan_source(rt, spec, http))
    return reports
