"""Any HTTP JSON API: request with query, headers (`${ENV}` values) and body; page- or cursor-based pagination."""
import json
import re

from bot.config.sources import JsonSource
from bot.errors import SourceError
from bot.items.records import entry_from_record, get_path
from jobs.sources.base import FetchContext, FetchResult

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand_env(source: str, where: str, value, env: dict[str, str]):
    """`value` with each `${NAME}` replaced from the environment; a missing variable is a SourceError."""
    if not isinstance(value, str):
        return value

    def sub(m: re.Match) -> str:
        if m.group(1) not in env:
            raise SourceError(source, f"{where}: environment variable {m.group(1)} is not set")
        return env[m.group(1)]

    return _ENV_REF.sub(sub, value)


def records_in(source: str, body: bytes, items_path: str) -> tuple[object, list]:
    """The decoded document and the list of records at `items_path`; a SourceError when there is none."""
    if not body.strip():
        raise SourceError(source, "empty response")
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise SourceError(source, f"response is not UTF-8 JSON: {exc}") from None
    except json.JSONDecodeError as exc:
        raise SourceError(source, f"malformed JSON: {exc}") from None
    records = get_path(doc, items_path)
    if not isinstance(records, list):
        where = f"at {items_path!r}" if items_path else "at the top level"
        raise SourceError(source, f"no list of items {where} of the response")
    return doc, records


def fetch_json(spec: JsonSource, ctx: FetchContext) -> FetchResult:
    """Every page up to the cap; a failing later page keeps the pages read before it."""
    headers = {k: expand_env(spec.name, f"headers.{k}", v, ctx.env) for k, v in spec.headers.items()}
    query = {k: expand_env(spec.name, f"query.{k}", v, ctx.env) for k, v in spec.query.items()}
    pages = spec.pagination
    entries, problems = [], []
    position = pages.start if pages and pages.type == "page" else None
    for number in range(1, (pages.max_pages if pages else 1) + 1):
        params, body = dict(query), dict(spec.body) if spec.body is not None else None
        if pages and position is not None:
            (body if body is not None and spec.method == "POST" else params)[pages.param] = position
        try:
            fetched = ctx.http.request(spec.name, spec.method, spec.url, params=params, headers=headers, json=body)
            doc, records = records_in(spec.name, fetched.content, spec.items_path)
        except SourceError as exc:
            if number == 1:
                raise
            problems.append(f"page {number}: {exc.reason}; kept the {number - 1} page(s) before it")
            break
        for n, record in enumerate(records, 1):
            if isinstance(record, dict):
                entries.append(entry_from_record(record, spec.fields))
            else:
                problems.append(f"page {number}, item {n}: not a JSON object, skipped")
        if not pages or not records:
            break
        if pages.type == "page":
            assert isinstance(position, int)  # page numbers start at pages.start
            position += 1
        else:
            assert pages.cursor_path is not None  # the schema requires it for cursor pagination
            previous, position = position, get_path(doc, pages.cursor_path)
            if position in (None, "", 0, False):
                break
            if position == previous:
                problems.append(f"page {number}: the API gave the same cursor {position!r} again; stopped")
                break
    return FetchResult(entries, problems=problems)
