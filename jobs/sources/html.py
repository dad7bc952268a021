"""HTML list pages read with CSS selectors, optionally with each item's detail page for the body text."""
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from bot.config.sources import HtmlSource
from bot.errors import SourceError
from bot.items.normalise import RawEntry
from jobs.sources.base import FetchContext, FetchResult
from jobs.sources.charset import decode_page


def _select(node: LexborNode, spec: str, base_url: str) -> str | None:
    """`selector` → its text, `selector@attr` / `@attr` → the attribute (links made absolute)."""
    selector, _, attr = spec.partition("@")
    target = node.css_first(selector.strip()) if selector.strip() else node
    if target is None:
        return None
    if not attr:
        return target.text(separator=" ", strip=True) or None
    value = target.attributes.get(attr.strip())
    if value and attr.strip() in ("href", "src"):
        value = urljoin(base_url, value.strip())
    return value


def parse_list(spec: HtmlSource, text: str, base_url: str) -> tuple[list[RawEntry], list[str]]:
    """The entries of a list page; a page without any item element is a SourceError."""
    if not text.strip():
        raise SourceError(spec.name, "empty response")
    tree = LexborHTMLParser(text)
    nodes = tree.css(spec.item)
    if not nodes:
        raise SourceError(spec.name, f"no element matches the item selector {spec.item!r}")
    entries, problems = [], []
    for n, node in enumerate(nodes, 1):
        values = {name: _select(node, sel, base_url) for name, sel in spec.fields.items()}
        if not any(values.get(k) for k in ("title", "content")):
            problems.append(f"item {n}: no title or content found, skipped")
            continue
        entries.append(RawEntry(external_id=values.get("id"), url=values.get("url"), title=values.get("title"),
                                content=values.get("content"), author=values.get("author"), target=values.get("target"),
                                published=values.get("published"),
                                metrics={k: values.get(k) for k in ("views", "reposts", "comments", "likes")}))
    return entries, problems


def _with_detail(spec: HtmlSource, ctx: FetchContext, entry: RawEntry, problems: list[str]) -> RawEntry:
    assert entry.url is not None and spec.detail_content is not None  # the caller only asks with both
    try:
        fetched = ctx.http.get(spec.name, entry.url)
    except SourceError as exc:
        problems.append(f"detail page: {exc.reason}; kept the list text")
        return entry
    text, charset_problems = decode_page(fetched.content, fetched.headers.get("Content-Type"), spec.encoding)
    problems.extend(f"detail {entry.url}: {p}" for p in charset_problems)
    body = LexborHTMLParser(text).css_first(spec.detail_content)
    if body is None:
        problems.append(f"detail {entry.url}: nothing matches {spec.detail_content!r}; kept the list text")
        return entry
    return RawEntry(entry.external_id, entry.url, entry.title, body.html, entry.author, entry.published, entry.metrics,
                    entry.target)


def fetch_html(spec: HtmlSource, ctx: FetchContext) -> FetchResult:
    """Read the list page, then up to `detail_limit` detail pages of items not stored yet."""
    fetched = ctx.http.get(spec.name, spec.url)
    text, problems = decode_page(fetched.content, fetched.headers.get("Content-Type"), spec.encoding)
    entries, item_problems = parse_list(spec, text, fetched.url)
    problems += item_problems
    if spec.detail_content:
        budget = spec.detail_limit
        for i, entry in enumerate(entries):
            if budget and entry.url and not ctx.known_url(entry.url):
                entries[i] = _with_detail(spec, ctx, entry, problems)
                budget -= 1
    return FetchResult(entries, problems=problems)
