"""Crawler export folders (MediaCrawler is the reference): JSONL, CSV and JSON files.

MediaCrawler appends to one file per day (`search_contents_2026-11-23.jsonl`). For JSONL and CSV the
source remembers, per file, the byte offset up to which it has read whole lines, and the file's inode;
each scan takes only the complete lines after it, so a half-written last line waits for the next scan.
The new offsets go back in the cursor, which the scan stores in the same transaction as the items.
A JSON document is rewritten whole by the crawler: it is read again when its size or mtime changes,
and the database drops what was stored already.
"""
import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from bot.config.sources import FileSource
from bot.errors import SourceError
from bot.items.records import entry_from_record, get_path
from jobs.sources.base import FetchContext, FetchResult


@dataclass
class Chunk:
    records: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    end: int = 0  # offset after the last complete line read


def file_format(path: Path, configured: str = "auto") -> str:
    if configured != "auto":
        return configured
    suffix = path.suffix.lower().lstrip(".")
    return {"ndjson": "jsonl", "jsonl": "jsonl", "json": "json", "csv": "csv"}.get(suffix, "jsonl")


def _complete_end(data: bytes, fmt: str) -> int:
    """Length of the prefix made of whole lines (for CSV: not ending inside a quoted field)."""
    end = data.rfind(b"\n") + 1
    while fmt == "csv" and end and data.count(b'"', 0, end) % 2:
        end = data.rfind(b"\n", 0, end - 1) + 1
    return end


def read_lines(path: Path, fmt: str, offset: int, max_bytes: int, at_eof_is_end: bool = False) -> Chunk:
    """Records of the complete lines after `offset` (at most about `max_bytes` of them)."""
    chunk = Chunk(end=offset)
    with open(path, "rb") as fh:
        header = fh.readline() if fmt == "csv" else b""
        if fmt == "csv" and not header.endswith(b"\n"):
            return chunk  # the header itself is still being written
        start = max(offset, len(header))
        fh.seek(start)
        data = fh.read(max_bytes)
        more = bool(fh.read(1))
    end = len(data) if at_eof_is_end and not more else _complete_end(data, fmt)
    if end == 0 and more:
        # one line longer than the cap: skip it rather than stall here for ever
        nl = data.rfind(b"\n")
        chunk.problems.append(f"{path.name} at byte {start}: a line longer than {max_bytes} bytes, skipped")
        chunk.end = start + (nl + 1 if nl >= 0 else len(data))
        return chunk
    chunk.end = start + end
    body = data[:end]
    if fmt == "csv":
        text = (header + body).decode("utf-8-sig", errors="replace")
        chunk.records.extend(csv.DictReader(io.StringIO(text, newline="")))
        return chunk
    position = start
    for line in body.splitlines(keepends=True):
        where, position = position, position + len(line)
        if not line.strip():
            continue
        try:
            record = json.loads(line.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            chunk.problems.append(f"{path.name} at byte {where}: malformed JSON line skipped: {exc}")
            continue
        if isinstance(record, dict):
            chunk.records.append(record)
        else:
            chunk.problems.append(f"{path.name} at byte {where}: not a JSON object, skipped")
    return chunk


def read_document(path: Path, items_path: str = "") -> list[dict]:
    """The records of a whole JSON file (a list, or the list at `items_path`)."""
    try:
        doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"malformed JSON: {exc}") from None
    records = get_path(doc, items_path)
    if not isinstance(records, list):
        raise ValueError(f"no list of records at {items_path or 'the top level'!r}")
    return [r for r in records if isinstance(r, dict)]


def _read_file(path: Path, fmt: str, state: dict, spec: FileSource, max_bytes: int) -> tuple[Chunk, dict]:
    st = path.stat()
    if fmt == "json":
        stamp = {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
        if state == stamp:
            return Chunk(), state
        try:
            return Chunk(records=read_document(path, spec.items_path)), stamp
        except ValueError as exc:  # perhaps still being written: try again next scan
            return Chunk(problems=[f"{path.name}: {exc}; will retry"]), state
    offset = int(state.get("offset", 0))
    problems = []
    if state.get("inode") not in (None, st.st_ino) or st.st_size < offset:
        problems.append(f"{path.name} was replaced or truncated; reading it again from the start")
        offset = 0
    if st.st_size == offset:
        return Chunk(problems=problems, end=offset), {"offset": offset, "inode": st.st_ino}
    chunk = read_lines(path, fmt, offset, max_bytes)
    chunk.problems[:0] = problems
    return chunk, {"offset": chunk.end, "inode": st.st_ino}


def fetch_files(spec: FileSource, ctx: FetchContext) -> FetchResult:
    """New records in the folder's matching files since the stored cursor; the new cursor in the result."""
    folder = ctx.base_dir / spec.path
    if not folder.is_dir():
        raise SourceError(spec.name, f"folder {folder} does not exist")
    seen = dict(ctx.cursor.get("files", {}))
    entries, problems = [], []
    for path in sorted(p for p in folder.glob(spec.pattern) if p.is_file()):
        key = str(path.relative_to(folder))
        try:
            chunk, seen[key] = _read_file(path, file_format(path, spec.format), seen.get(key, {}), spec,
                                          ctx.http.max_bytes)
        except OSError as exc:
            problems.append(f"cannot read {key}: {exc.strerror or exc}")
            continue
        problems += chunk.problems
        entries += [entry_from_record(r, spec.fields) for r in chunk.records]
    present = {str(p.relative_to(folder)) for p in folder.glob(spec.pattern)}
    cursor = {"files": {k: v for k, v in seen.items() if k in present}}
    return FetchResult(entries, problems=problems, cursor=cursor)
