"""What every source kind's fetcher is given and returns. Fetchers read; they never write to the database."""
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.items.normalise import RawEntry
from jobs.http import Http


@dataclass(frozen=True)
class FetchContext:
    """The stored scan state of the source and what a fetcher may use."""

    http: Http
    base_dir: Path
    etag: str | None = None
    last_modified: str | None = None
    cursor: dict = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    # True when an item with this URL is stored already: spares fetching its detail page again
    known_url: Callable[[str], bool] = lambda url: False


@dataclass(frozen=True)
class FetchResult:
    entries: list[RawEntry]
    # validators for the next conditional GET, and whether the server said nothing changed
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    problems: list[str] = field(default_factory=list)
    # the document itself is broken (what parsed is kept, but the source counts as failing)
    malformed: str | None = None
    # the read position to store with the items (None: leave the stored cursor as it is)
    cursor: dict | None = None
