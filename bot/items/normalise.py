"""RawEntry (what a fetcher read) → NormalisedItem (the one shape every source kind produces). Pure."""
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime

from selectolax.lexbor import LexborHTMLParser as HTMLParser

from bot.cards.text import clean
from bot.items.counts import parse_count
from bot.items.times import parse_time
from bot.items.urls import canonical_url

TEXT_LIMIT = 20_000
TITLE_LIMIT = 500
# NUL (PostgreSQL text cannot hold it) and surrogates left unpaired (not encodable as UTF-8): one such character
# would fail the insert of the whole batch
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str | None) -> str | None:
    """The text without the characters no database column can hold (NUL, lone surrogates)."""
    return _UNSTORABLE.sub("", text) if text else text


@dataclass(frozen=True)
class RawEntry:
    external_id: str | None = None
    url: str | None = None
    title: str | None = None
    content: str | None = None
    author: str | None = None
    published: str | int | float | datetime | None = None  # numbers are epoch timestamps (parse_time)
    metrics: dict = field(default_factory=dict)
    target: str | None = None


@dataclass(frozen=True)
class NormalisedItem:
    source: str
    platform: str
    external_id: str
    url: str | None
    title: str
    text: str
    author: str | None
    published_at: datetime | None
    fetched_at: datetime
    views: int = 0
    reposts: int = 0
    comments: int = 0
    likes: int = 0
    target: str | None = None  # who a complaint record is about, when the source says

    @property
    def url_key(self) -> str | None:
        return url_key(self.url)


def url_key(canonical: str | None) -> str | None:
    """The stored unique key of a canonical URL (sha1: fits any index, however long the URL)."""
    return hashlib.sha1(canonical.encode()).hexdigest() if canonical else None


class UnusableEntry(ValueError):
    """The entry has no usable id or text; the reason says which."""


def strip_html(text: str | None) -> str:
    """Visible text of an HTML fragment, block elements kept apart by line breaks."""
    if not text:
        return ""
    if "<" not in text and "&" not in text:
        return text
    tree = HTMLParser(f"<div>{text}</div>")
    for node in tree.css("script, style"):
        node.decompose()
    for node in tree.css("br, p, div, li, h1, h2, h3, h4, tr"):
        node.insert_after("\n")
    return tree.body.text(separator="") if tree.body else ""


def normalise(raw: RawEntry, source: str, platform: str, fetched_at: datetime) -> NormalisedItem:
    """The normal form of one entry; raises UnusableEntry when it has no id or no text."""
    title = clean(storable(strip_html(storable(raw.title)))).replace("\n", " ")[:TITLE_LIMIT]
    text = clean(storable(strip_html(storable(raw.content))))[:TEXT_LIMIT]
    if not title and not text:
        raise UnusableEntry("no title and no text")
    url = canonical_url(storable(raw.url))
    external_id = (storable(raw.external_id) or "").strip() or url
    if not external_id:
        raise UnusableEntry("no id and no link")
    return NormalisedItem(
        source=source, platform=platform, external_id=external_id[:300], url=url,
        title=title, text=text, author=clean(storable(raw.author))[:200] or None,
        published_at=parse_time(raw.published, fetched_at), fetched_at=fetched_at,
        views=parse_count(raw.metrics.get("views")), reposts=parse_count(raw.metrics.get("reposts")),
        comments=parse_count(raw.metrics.get("comments")), likes=parse_count(raw.metrics.get("likes")),
        target=clean(raw.target)[:200] or None,
    )

