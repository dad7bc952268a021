"""Config of the sources the scan jobs read: one model per kind, told apart by `kind`."""
import re
from typing import Annotated, Literal, Union

from pydantic import Field, field_validator, model_validator

from bot.config.base import Strict

Platform = Literal["news", "weibo", "forum", "complaint", "video", "community", "other"]

SOURCE_KINDS = ("rss", "json", "html", "file", "webhook", "feishu_chat")

# the item fields a mapping may fill; the values are dotted paths into a record (`user.name`),
# alternatives separated by `|` (`note_url|aweme_url`), or a template (`https://weibo.com/{user_id}/{bid}`)
# `target`: who a complaint record is about (a complaint platform's 投诉对象); it names the brand
ITEM_FIELDS = ("id", "title", "content", "url", "author", "published", "views", "reposts", "comments", "likes",
               "target")
DEFAULT_FIELDS = {**{name: name for name in ITEM_FIELDS}, "id": "id|external_id", "content": "content|text",
                  "url": "url|link", "published": "published|published_at|created_at"}


class SourceBase(Strict):
    kind: str  # each kind narrows it to its Literal, the union's discriminator
    name: str = Field(min_length=1, pattern=r"^[\w.-]+$")
    platform: Platform = "news"
    interval: int = 300
    authority: float = Field(default=1.0, ge=0)
    enabled: bool = True

    @field_validator("interval")
    @classmethod
    def _interval(cls, v: int) -> int:
        if v < 30:
            raise ValueError("must be at least 30 seconds")
        return v

    @property
    def jitter(self) -> int:
        """Seconds of random delay per run, so sources on the same interval do not fire together."""
        return min(self.interval // 10, 30)


class RssSource(SourceBase):
    """An RSS 0.9x/1.0/2.0 or Atom feed, from a URL or a local file (relative to config.yaml)."""

    kind: Literal["rss"]
    url: str | None = None
    path: str | None = None

    @model_validator(mode="after")
    def _one_location(self) -> "RssSource":
        if (self.url is None) == (self.path is None):
            raise ValueError("give exactly one of url or path")
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        return self


def _known_fields(v: dict[str, str]) -> dict[str, str]:
    unknown = sorted(set(v) - set(ITEM_FIELDS))
    if unknown:
        raise ValueError(f"unknown item field {unknown[0]!r}, use some of {', '.join(ITEM_FIELDS)}")
    return v


class _Mapped(SourceBase):
    """A source whose records are mapped onto item fields: item field → path in the record.

    Fields left out keep their default path (DEFAULT_FIELDS).
    """

    fields: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_FIELDS))

    @field_validator("fields")
    @classmethod
    def _fields(cls, v: dict[str, str]) -> dict[str, str]:
        return {**DEFAULT_FIELDS, **_known_fields(v)}


class _Http(SourceBase):
    url: str

    @field_validator("url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return v


class Pagination(Strict):
    """Page numbers (`page`) or a cursor read from each response (`cursor`), at most `max_pages` requests."""

    type: Literal["page", "cursor"]
    param: str = Field(min_length=1)
    start: int = 1
    cursor_path: str | None = None
    max_pages: int = Field(default=5, ge=1, le=100)

    @model_validator(mode="after")
    def _cursor_needs_path(self) -> "Pagination":
        if self.type == "cursor" and not self.cursor_path:
            raise ValueError("cursor_path: required for cursor pagination")
        return self


class JsonSource(_Mapped, _Http):
    """Any HTTP JSON API: request, where the items are, and which field of an item means what."""

    kind: Literal["json"]
    method: Literal["GET", "POST"] = "GET"
    query: dict[str, str | int | float] = {}
    headers: dict[str, str] = {}
    body: dict | None = None
    items_path: str = ""
    pagination: Pagination | None = None  # query and header values may name environment variables: ${VENDOR_KEY}


class HtmlSource(_Http):
    """A list page read with CSS selectors; `fields` values are `selector`, `selector@attr` or `@attr`."""

    kind: Literal["html"]
    item: str = Field(min_length=1)
    fields: dict[str, str]
    detail_content: str | None = None  # selector of the body text on each item's own page
    detail_limit: int = Field(default=20, ge=0)  # detail pages fetched per scan, at most
    encoding: str | None = None  # overrides what the page declares

    @field_validator("fields")
    @classmethod
    def _fields(cls, v: dict[str, str]) -> dict[str, str]:
        if not v.get("title") and not v.get("content"):
            raise ValueError("map at least title or content")
        return _known_fields(v)


class FileSource(_Mapped):
    """A folder where a crawler drops exports (JSON, JSONL, CSV); appended files are read from where we left off."""

    kind: Literal["file"]
    path: str = Field(min_length=1)
    pattern: str = "*.jsonl"
    format: Literal["auto", "json", "jsonl", "csv"] = "auto"
    items_path: str = ""  # for a JSON document: where the list of records is


class WebhookSource(_Mapped):
    """Items pushed to `POST /ingest/{name}`, authenticated by the token in the named environment variable."""

    kind: Literal["webhook"]
    token_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")


class FeishuChatSource(_Mapped):
    """Customer community group chats the bot is a member of: their messages become items (author = the
    member's open_id), analysed like any post; alerts about them go to the crisis chats, never back here."""

    kind: Literal["feishu_chat"]
    platform: Platform = "community"
    chats: list[str] = Field(min_length=1)
    # message text older than this is deleted by a job (the item row and its analysis stay); null: kept
    retention_days: int | None = Field(default=30, ge=1)

    @field_validator("chats")
    @classmethod
    def _chat_ids(cls, v: list[str]) -> list[str]:
        for i, chat in enumerate(v):
            if not re.fullmatch(r"oc_[0-9a-zA-Z_-]+", chat):
                raise ValueError(f"[{i}] {chat!r} is not a Feishu chat_id (oc_…)")
        return v


SourceSpec = Annotated[Union[RssSource, JsonSource, HtmlSource, FileSource, WebhookSource, FeishuChatSource],
                       Field(discriminator="kind")]
ScannedSpec = RssSource | JsonSource | HtmlSource | FileSource


class ScanConfig(Strict):
    """How the scan jobs talk to sources, and when a failing source is reported down."""

    user_agent: str = "yuqing/0.1 (+public-opinion monitor)"
    timeout: float = Field(default=15.0, gt=0)
    max_body_bytes: int = Field(default=5_000_000, gt=0)
    retries: int = Field(default=2, ge=0, le=10)
    backoff: float = Field(default=1.0, ge=0)  # seconds before the first retry, doubled for each next one
    per_host: int = Field(default=2, ge=1)  # requests in flight to one host, at most
    down_after: int = Field(default=3, ge=1)  # consecutive failures before the "source down" notice
    ops_chat: str | None = None  # a name under alerting.chats
    # items stored per transaction: a scan, an import or a push commits every this many, so no write lock or
    # memory is held for a whole scan
    chunk_items: int = Field(default=200, ge=1, le=5000)
    # the same inside `yuqing run`, whose ingest child writes beside the process answering commands: on SQLite
    # each chunk's write holds the one write lock a command's transactions wait for, so its chunks are smaller
    serving_chunk_items: int = Field(default=50, ge=1, le=5000)
