"""What every source kind's fetcher returns."""
from dataclasses import dataclass, field

from bot.items.normalise import RawEntry


@dataclass(frozen=True)
class FetchResult:
    entries: list[RawEntry]
    # validators for the next conditional GET, and whether the server said nothing changed
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    problems: list[str] = field(default_factory=list)
