"""RSS 0.9x/1.0/2.0 and Atom feeds (RSSHub routes included), by URL with conditional GET or from a file."""
import feedparser

from bot.config.sources import RssSource
from bot.errors import SourceError
from bot.items.normalise import RawEntry
from jobs.sources.base import FetchContext, FetchResult


def fetch_rss(spec: RssSource, ctx: FetchContext) -> FetchResult:
    """Read the feed; a 304 gives no entries and `not_modified`."""
    max_bytes = ctx.http.max_bytes
    if spec.path is not None:
        path = ctx.base_dir / spec.path
        try:
            with open(path, "rb") as fh:
                body = fh.read(max_bytes + 1)
        except OSError as exc:
            raise SourceError(spec.name, f"cannot read {path}: {exc.strerror or exc}") from None
        if len(body) > max_bytes:
            raise SourceError(spec.name, f"{path} is larger than {max_bytes} bytes")
        return parse_feed(spec.name, body)
    headers = {}
    if ctx.etag:
        headers["If-None-Match"] = ctx.etag
    if ctx.last_modified:
        headers["If-Modified-Since"] = ctx.last_modified
    assert spec.url is not None  # the schema requires exactly one of url and path
    fetched = ctx.http.get(spec.name, spec.url, headers)
    if fetched.status == 304:
        return FetchResult([], etag=ctx.etag, last_modified=ctx.last_modified, not_modified=True)
    result = parse_feed(spec.name, fetched.content)
    return FetchResult(result.entries, etag=fetched.headers.get("ETag"),
                       last_modified=fetched.headers.get("Last-Modified"), problems=result.problems,
                       malformed=result.malformed)


# what feedparser flags but reads without loss: a charset or content type other than declared
BENIGN = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


def parse_feed(source: str, body: bytes) -> FetchResult:
    """Entries of a feed document; a document that is not a feed at all is a SourceError."""
    if not body.strip():
        raise SourceError(source, "empty response")
    parsed = feedparser.parse(body)
    problems, malformed = [], None
    if parsed.bozo:
        problems.append(f"malformed feed: {parsed.bozo_exception}")
        if not isinstance(parsed.bozo_exception, BENIGN):
            malformed = problems[-1]
        if not parsed.entries:
            raise SourceError(source, f"not a readable feed: {parsed.bozo_exception}")
    if not parsed.entries and not parsed.get("version"):  # e.g. RSSHub's HTML error page, served with 200
        raise SourceError(source, "not a readable feed: not RSS or Atom")
    entries = []
    for e in parsed.entries:
        content = ""
        if e.get("content"):
            content = e["content"][0].get("value", "")
        content = content or e.get("summary", "")
        entries.append(RawEntry(
            external_id=e.get("id") or e.get("guid"),
            url=e.get("link"),
            title=e.get("title"),
            content=content,
            author=e.get("author"),
            published=e.get("published") or e.get("updated"),
        ))
    return FetchResult(entries, problems=problems, malformed=malformed)
