"""`yuqing import FILE --source NAME`: history from a file, through the same store → intake path as scans.

A `file` source's format and field mapping read the file; for any other source the file is JSON Lines
(or a JSON array) of items in the webhook's shape. The file is read in chunks, each committed on its own,
so a long import that stops keeps what it stored, and a re-run stores nothing twice.
"""
import logging
from collections.abc import Callable
from pathlib import Path

from bot.config.sources import DEFAULT_FIELDS, FileSource, SourceBase
from bot.errors import SourceError
from bot.runtime import Runtime
from jobs.scan import ScanReport, ingest_records
from jobs.sources.files import file_format, read_document, read_lines

log = logging.getLogger(__name__)

CHUNK_BYTES = 1_000_000


def _store(rt: Runtime, spec: SourceBase, records: list[dict], fields: dict, total: ScanReport) -> None:
    report = ScanReport(spec.name, fetched=len(records))
    ingest_records(rt, spec, records, fields, report)
    total.fetched += report.fetched
    total.new += report.new
    total.matched += report.matched
    total.skipped += report.skipped


def import_file(rt: Runtime, spec: SourceBase, path: Path,
                progress: Callable[[int], None] = lambda n: None) -> ScanReport:
    """Store every record of the file as items of `spec`; `progress` is told how many bytes were read."""
    if isinstance(spec, FileSource):
        fields, declared, items_path = spec.fields, spec.format, spec.items_path
    else:
        fields, declared, items_path = DEFAULT_FIELDS, "auto", ""
    fmt = file_format(path, declared)
    total = ScanReport(spec.name)
    try:
        if fmt == "json":
            _store(rt, spec, read_document(path, items_path), fields, total)
            progress(path.stat().st_size)
            return total
        offset, size = 0, path.stat().st_size
        while offset < size:
            chunk = read_lines(path, fmt, offset, CHUNK_BYTES, at_eof_is_end=True)
            for problem in chunk.problems:
                log.warning("import %s into %s: %s", path.name, spec.name, problem)
            total.problems += chunk.problems
            _store(rt, spec, chunk.records, fields, total)
            if chunk.end <= offset:  # nothing more that is whole (e.g. an unfinished CSV header)
                break
            progress(chunk.end - offset)
            offset = chunk.end
    except (OSError, ValueError) as exc:
        raise SourceError(spec.name, f"cannot import {path}: {exc}") from None
    return total
