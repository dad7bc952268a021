"""Incidents: whether a new item joins an open incident or opens one, as pure code over a small store protocol.

The decision (`decide`) reads the store and changes nothing; `assign` applies it. Order of the checks:

1. near-duplicate: a stored item of the same brand, seen within the window, whose SimHash is within
   `clustering.max_distance` bits → join that item's incident (reposts and copies stay together);
2. same event: an open incident of the same brand and event key (the item's main risk topic) whose last
   item is within the window → join the most recent one;
3. otherwise open a new incident for (brand, event key).

`IncidentStore` is what the live pipeline implements on the database (SQLAlchemy):

* `open_incidents(brand, since)` — incidents of `brand` that are not closed and whose `last_seen >= since`,
  newest first;
* `band_matches(brand, bands, since)` — stored items of `brand` with `published_at >= since` that are equal on
  at least one of the four 16-bit SimHash bands (`WHERE band0 = ? OR band1 = ? OR band2 = ? OR band3 = ?`;
  index each band column; see simhash.to_signed for the 64-bit value);
* `add_item(incident_id, item)` — attach the item, update `last_seen`;
* `open_incident(brand, event_key, item)` — create an incident holding this item, return its id
  (a unique constraint on open (brand, event_key) + re-read on conflict keeps this exactly-once);
* `items(incident_id)` — the incident's items as grading.IncidentItem;
* `stats(incident_id, now)` — grading.IncidentStats of the incident (a running `IncidentTally`, read once).

`MemoryIncidentStore` implements it for `yuqing analyze` and the tests.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, Sequence

from bot.analysis.grading import IncidentItem, IncidentStats, IncidentTally
from bot.analysis.simhash import BandedIndex, bands, distance
from bot.config.analysis import ClusteringConfig, GradingConfig

OTHER_EVENT = "其他"


@dataclass(frozen=True)
class ClusterItem:
    id: str
    brand: str
    event_key: str
    simhash: int
    graded: IncidentItem

    @property
    def published_at(self) -> datetime:
        return self.graded.published_at


@dataclass(frozen=True)
class IncidentRef:
    id: int
    brand: str
    event_key: str
    last_seen: datetime


@dataclass(frozen=True)
class StoredItem:
    item_id: str
    incident_id: int
    simhash: int


@dataclass(frozen=True)
class Placement:
    """Where an item goes: an existing incident (`incident_id`) or a new one (`incident_id is None`)."""

    incident_id: int | None
    reason: str
    duplicate_of: str | None = None


class IncidentStore(Protocol):
    def open_incidents(self, brand: str, since: datetime, until: datetime) -> Sequence[IncidentRef]: ...
    def band_matches(self, brand: str, bands: tuple[int, ...], since: datetime,
                     until: datetime) -> Sequence[StoredItem]: ...
    def add_item(self, incident_id: int, item: ClusterItem) -> None: ...
    def open_incident(self, brand: str, event_key: str, item: ClusterItem) -> int | None: ...
    def items(self, incident_id: int) -> Sequence[IncidentItem]: ...
    def stats(self, incident_id: int, now: datetime) -> IncidentStats: ...


def decide(item: ClusterItem, store: IncidentStore, config: ClusteringConfig) -> Placement:
    """Join-or-open for one item; reads the store, changes nothing."""
    # the window runs both ways: an old post never joins an incident that began long after it
    since = item.published_at - timedelta(hours=config.window_hours)
    until = item.published_at + timedelta(hours=config.window_hours)
    close = [(distance(s.simhash, item.simhash), s)
             for s in store.band_matches(item.brand, bands(item.simhash), since, until)]
    close = [(d, s) for d, s in close if d <= config.max_distance and s.item_id != item.id]
    if close:
        d, s = min(close, key=lambda ds: ds[0])
        return Placement(s.incident_id, f"与 {s.item_id} 近似重复（相差 {d} 位）", duplicate_of=s.item_id)
    for ref in store.open_incidents(item.brand, since, until):
        if ref.event_key == item.event_key:
            return Placement(ref.id, f"同品牌同事件：{item.brand} / {item.event_key}")
    return Placement(None, f"新事件：{item.brand} / {item.event_key}")


def assign(item: ClusterItem, store: IncidentStore, config: ClusteringConfig) -> tuple[int | None, Placement]:
    """Decide and apply: the incident id the item now belongs to (None: an old post whose event is open with
    newer posts only — it stays ungrouped), and why."""
    placement = decide(item, store, config)
    if placement.incident_id is None:
        return store.open_incident(item.brand, item.event_key, item), placement
    store.add_item(placement.incident_id, item)
    return placement.incident_id, placement


@dataclass
class _Incident:
    ref: IncidentRef
    tally: IncidentTally
    items: list[ClusterItem] = field(default_factory=list)
    first_seen: datetime | None = None  # kept as items arrive: the lookup below runs for every new item


class MemoryIncidentStore:
    """IncidentStore in memory: a banded SimHash index per brand, incidents in a dict."""

    def __init__(self, grading: GradingConfig | None = None) -> None:
        self._grading = grading or GradingConfig()
        self._incidents: dict[int, _Incident] = {}
        self._by_brand: dict[str, list[int]] = {}
        self._index: dict[str, BandedIndex] = {}
        self._where: dict[str, tuple[int, ClusterItem]] = {}

    def open_incidents(self, brand: str, since: datetime, until: datetime) -> list[IncidentRef]:
        found = [self._incidents[i] for i in self._by_brand.get(brand, ())]
        refs = [inc.ref for inc in found if inc.ref.last_seen >= since
                and inc.first_seen is not None and inc.first_seen <= until]
        return sorted(refs, key=lambda r: r.last_seen, reverse=True)

    def band_matches(self, brand: str, bands_: tuple[int, ...], since: datetime,
                     until: datetime) -> list[StoredItem]:
        index = self._index.get(brand)
        if index is None:
            return []
        out = []
        for key, _ in index.near(_join_bands(bands_)):
            incident_id, item = self._where[str(key)]
            if since <= item.published_at <= until:
                out.append(StoredItem(item.id, incident_id, item.simhash))
        return out

    def add_item(self, incident_id: int, item: ClusterItem) -> None:
        inc = self._incidents[incident_id]
        inc.items.append(item)
        inc.first_seen = item.published_at if inc.first_seen is None else min(inc.first_seen, item.published_at)
        inc.tally.add(item.graded)
        inc.ref = IncidentRef(inc.ref.id, inc.ref.brand, inc.ref.event_key, max(inc.ref.last_seen, item.published_at))
        self._index.setdefault(item.brand, BandedIndex(max_distance=3)).add(item.id, item.simhash)
        self._where[item.id] = (incident_id, item)

    def open_incident(self, brand: str, event_key: str, item: ClusterItem) -> int:
        incident_id = len(self._incidents) + 1
        ref = IncidentRef(incident_id, brand, event_key, item.published_at)
        self._incidents[incident_id] = _Incident(ref, IncidentTally(self._grading))
        self._by_brand.setdefault(brand, []).append(incident_id)
        self.add_item(incident_id, item)
        return incident_id

    def items(self, incident_id: int) -> list[IncidentItem]:
        return [it.graded for it in self._incidents[incident_id].items]

    def stats(self, incident_id: int, now: datetime) -> IncidentStats:
        return self._incidents[incident_id].tally.stats(now)


def _join_bands(bands_: tuple[int, ...]) -> int:
    # the in-memory index is keyed by the full value; rebuilding it from the bands keeps the protocol honest
    value = 0
    for i, b in enumerate(bands_):
        value |= b << (16 * i)
    return value
