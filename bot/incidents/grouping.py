"""The incident store of the analysis's clustering (bot.analysis.clustering.IncidentStore), on the database,
for one batch of new items: read once, decide in memory, write once.

`prefetch` reads, in a few queries for the whole batch, the open incidents of the batch's brands and the newest
stored items that share a SimHash band value with one of the batch's items (through the indexed band columns). The
clustering then decides item by item in memory, the batch's own earlier items included. `flush` writes the
decisions: one multi-row insert of the new incidents and one UPDATE placing every item.

Exactly-once: `incidents.open_key` is unique while an incident is open, so two scans that both decide to
open the same (brand, event) incident cannot: the loser's insert does nothing (ON CONFLICT DO NOTHING) and its
items join the winner's incident instead.
"""
import json
from bisect import bisect_left
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Integer, String, bindparam, column, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.analysis.clustering import ClusterItem, IncidentRef, StoredItem
from bot.analysis.grading import IncidentItem, IncidentStats, IncidentTally
from bot.analysis.simhash import bands as band_values, to_signed
from bot.config.analysis import GradingConfig
from bot.db import UtcDateTime
from bot.models import Incident, Item, Source
from bot.state import OPEN_STATES, State

# A band value is looked up for its newest _READ_PER_BAND stored items only, and keeps its newest _PER_BAND
# candidates in memory (the batch's own items join them). A repost wave shares bands with every post of it, so
# without these bounds a big incident's lookups would grow with its size; any recent post of it is as near.
# The bounds are also what a lookup costs once a wave has filled them (a 20,000-item wave: 64 in memory made an item
# compare itself with ~150 candidates by the end and ~40 at the start; 8 holds it near 27).
_READ_PER_BAND = 4
_PER_BAND = 8


_VALUES_PER_QUERY = 1000  # band values looked up per statement


def _sharing_band(dialect: str, position: int, values: Sequence[int], brands: Sequence[str], since: datetime,
                  until: datetime):
    """The stored items of the brands inside [since, until] whose band `position` has one of `values`: for each
    value only its newest _READ_PER_BAND, read backwards along the band's (value, seen) index, so a repost wave
    thousands strong costs what a quiet story costs. The values go in as one array (PostgreSQL) or one JSON list
    (SQLite): the statement has one shape, planned and compiled once."""
    if dialect == "postgresql":
        return _lateral_sql(position).bindparams(values=list(values), since=since, until=until, brands=list(brands))
    return _json_each_sql(position).bindparams(values=json.dumps(list(values)), since=since, until=until,
                                               brands=list(brands))


# Written out: SQLAlchemy has no portable lateral join, and SQLite needs its own form of one (a correlated IN).
_SEEN = "coalesce(published_at, fetched_at)"
_IN_WINDOW = (f"simhash_b{{position}} = v.value AND {_SEEN} >= :since AND {_SEEN} <= :until "
              f"AND incident_id IS NOT NULL ORDER BY {_SEEN} DESC LIMIT {_READ_PER_BAND}")


def _typed(sql: str, values: Any) -> Any:
    return (text(sql)
            .bindparams(bindparam("since", type_=UtcDateTime()), bindparam("until", type_=UtcDateTime()),
                        bindparam("brands", expanding=True), values)
            .columns(column("id", Integer), column("incident_id", Integer), column("simhash", BigInteger),
                     *(column(f"simhash_b{b}", Integer) for b in range(4)), column("seen", UtcDateTime()),
                     column("brand", String)))


@lru_cache(maxsize=4)
def _lateral_sql(position: int) -> Any:
    return _typed(
        "SELECT f.id, f.incident_id, f.simhash, f.simhash_b0, f.simhash_b1, f.simhash_b2, f.simhash_b3, f.seen, "
        "incidents.brand FROM unnest(:values) AS v(value) CROSS JOIN LATERAL (SELECT id, incident_id, simhash, "
        f"simhash_b0, simhash_b1, simhash_b2, simhash_b3, {_SEEN} AS seen FROM items "
        f"WHERE {_IN_WINDOW.format(position=position)}) AS f "
        "JOIN incidents ON incidents.id = f.incident_id WHERE incidents.brand IN :brands",
        bindparam("values", type_=postgresql.ARRAY(BigInteger)))


@lru_cache(maxsize=4)
def _json_each_sql(position: int) -> Any:
    return _typed(
        "SELECT f.id, f.incident_id, f.simhash, f.simhash_b0, f.simhash_b1, f.simhash_b2, f.simhash_b3, "
        "coalesce(f.published_at, f.fetched_at) AS seen, incidents.brand "
        # CROSS JOIN fixes SQLite's join order: the values first (else it may walk a big incident's items and try
        # every value on each), then their newest items, then those items' incidents
        "FROM json_each(:values) AS v CROSS JOIN items AS f CROSS JOIN incidents "
        f"WHERE f.id IN (SELECT id FROM items WHERE {_IN_WINDOW.format(position=position)}) "
        "AND incidents.id = f.incident_id AND incidents.brand IN :brands",
        bindparam("values"))


def open_key(brand: str, event_key: str) -> str:
    return f"{brand}:{event_key}"


def seen_at():
    """When an item was seen: published, else fetched (an expression index covers it)."""
    return func.coalesce(Item.published_at, Item.fetched_at)


@dataclass
class _Candidate:
    item_id: str
    incident_id: int
    simhash: int
    bands: tuple[int, ...]
    brand: str
    seen: datetime      # the newest of the items it stands for (reposts with one signature are one candidate)
    earliest: datetime  # the oldest of them


@dataclass
class _NewIncident:
    brand: str
    event_key: str
    title: str
    first_seen: datetime
    last_seen: datetime


class BatchIncidentStore:
    """IncidentStore over one session for one batch of items (the caller's transaction).

    New incidents get provisional negative ids until `flush` inserts them; `flush` returns the real ids.
    """

    def __init__(self, session: Session, grading: GradingConfig, now: datetime,
                 window: timedelta = timedelta(hours=48)):
        self.session = session
        self.grading = grading
        self.now = now
        self.window = window
        self.titles: dict[str, str] = {}  # item id → title, for the incidents they open
        self.opened: set[int] = set()      # real ids of the incidents this batch opened, after flush
        self._refs: dict[str, list[IncidentRef]] = {}
        self._first_seen: dict[int, datetime] = {}
        self._open_keys: dict[str, int] = {}
        self._candidates: list[_Candidate] = []
        # (brand, band position, value) → the newest candidates sharing it
        self._by_band: dict[tuple[str, int, int], deque[_Candidate]] = {}
        self._new: dict[int, _NewIncident] = {}
        self._placed: dict[int, int] = {}  # item id → incident id (provisional ids for new incidents)
        self._tallies: dict[int, IncidentTally] = {}
        self._fetched: set[str] = set()

    # -- reads -------------------------------------------------------------------------------------------
    def prefetch(self, wanted: Sequence[tuple[str, tuple[int, ...]]], since: datetime, until: datetime) -> None:
        """Read what the batch's items (brand, bands) may join: one query for the open incidents, and one per
        _VALUES_PER_QUERY band values for the items sharing them. Every open incident
        of the brands is read (they are few), so one outside the window is known by its key too."""
        brands = sorted({b for b, _ in wanted} - self._fetched)
        if not brands:
            return
        self._fetched.update(brands)
        rows = self.session.execute(
            select(Incident.id, Incident.brand, Incident.event_key, Incident.last_seen_at, Incident.first_seen_at)
            .where(Incident.brand.in_(brands), Incident.state.in_(OPEN_STATES))
        ).all()
        for id_, brand, event_key, last_seen, first_seen in rows:
            self._refs.setdefault(brand, []).append(IncidentRef(id_, brand, event_key, last_seen))
            self._first_seen[id_] = first_seen
            self._open_keys[open_key(brand, event_key)] = id_
        groups: dict[tuple, list] = {}  # (incident, signature, bands) → [min id, newest, oldest, brand]
        lookups = [(position, values[start:start + _VALUES_PER_QUERY])
                   for position in range(4)
                   for values in [sorted({bs[position] for b, bs in wanted if b in brands})]
                   for start in range(0, len(values), _VALUES_PER_QUERY)]
        dialect = self.session.get_bind().dialect.name
        for position, values in lookups:
            for item_id, incident_id, h, b0, b1, b2, b3, seen, brand in self.session.execute(
                    _sharing_band(dialect, position, values, brands, since, until)):
                if h is None:
                    continue
                group = groups.setdefault((incident_id, h, b0, b1, b2, b3), [item_id, seen, seen, brand])
                group[0], group[1], group[2] = min(group[0], item_id), max(group[1], seen), min(group[2], seen)
        for (incident_id, h, *bs), (item_id, last, first, brand) in sorted(groups.items(), key=lambda g: g[1][1]):
            self._candidate(_Candidate(str(item_id), incident_id, h & 0xFFFFFFFFFFFFFFFF, tuple(bs), brand, last,
                                       first))

    def _candidate(self, c: _Candidate) -> None:
        self._candidates.append(c)
        for position, value in enumerate(c.bands):
            self._by_band.setdefault((c.brand, position, value), deque(maxlen=_PER_BAND)).append(c)

    def open_incidents(self, brand: str, since: datetime, until: datetime) -> list[IncidentRef]:
        refs = [r for r in self._refs.get(brand, ()) if r.last_seen >= since and self._first_seen[r.id] <= until]
        return sorted(refs, key=lambda r: r.last_seen, reverse=True)

    def band_matches(self, brand: str, bands: tuple[int, ...], since: datetime, until: datetime) -> list[StoredItem]:
        found = {id(c): c for position, value in enumerate(bands)
                 for c in self._by_band.get((brand, position, value), ())}
        return [StoredItem(c.item_id, c.incident_id, c.simhash) for c in found.values()
                if c.seen >= since and c.earliest <= until]

    # -- decisions (in memory until flush) ----------------------------------------------------------------
    def add_item(self, incident_id: int, item: ClusterItem) -> None:
        self._placed[int(item.id)] = incident_id
        refs = self._refs.setdefault(item.brand, [])
        for n, ref in enumerate(refs):
            if ref.id == incident_id and item.published_at > ref.last_seen:
                refs[n] = IncidentRef(ref.id, ref.brand, ref.event_key, item.published_at)
        self._first_seen[incident_id] = min(self._first_seen.get(incident_id, item.published_at), item.published_at)
        if incident_id in self._new:
            new = self._new[incident_id]
            new.first_seen = min(new.first_seen, item.published_at)
            new.last_seen = max(new.last_seen, item.published_at)
        self._candidate(_Candidate(item.id, incident_id, item.simhash, band_values(item.simhash), item.brand,
                                   item.published_at, item.published_at))

    def open_incident(self, brand: str, event_key: str, item: ClusterItem) -> int | None:
        key = open_key(brand, event_key)
        existing = self._open_keys.get(key)
        if existing is not None:
            # an open incident for this brand and event lies outside the window. An old post does not join an
            # incident that began long after it: it stays ungrouped.
            if self._first_seen[existing] - item.published_at > self.window:
                return None
            self.add_item(existing, item)
            return existing
        provisional = -(len(self._new) + 1)
        self._new[provisional] = _NewIncident(brand, event_key, self.titles.get(item.id, ""), item.published_at,
                                              item.published_at)
        self._refs.setdefault(brand, []).append(IncidentRef(provisional, brand, event_key, item.published_at))
        self._open_keys[key] = provisional
        self.add_item(provisional, item)
        return provisional

    def flush(self, duplicates: dict[int, int] | None = None) -> dict[int, int]:
        """Write the batch's decisions (and each near-duplicate's original, `duplicates`) in one UPDATE;
        returns each item's incident id (real ids)."""
        real = self._insert_incidents()
        placed = {item: real.get(inc, inc) for item, inc in self._placed.items()}
        for c in self._candidates:
            c.incident_id = real.get(c.incident_id, c.incident_id)
        for brand, refs in self._refs.items():
            self._refs[brand] = [IncidentRef(real.get(r.id, r.id), r.brand, r.event_key, r.last_seen) for r in refs]
        self._first_seen = {real.get(i, i): at for i, at in self._first_seen.items()}
        self._open_keys = {k: real.get(i, i) for k, i in self._open_keys.items()}
        if placed and self.session.get_bind().dialect.name == "postgresql":
            # one JSON parameter rather than a CASE of thousands of placeholders (the driver prepares each)
            rows = [{"id": i, "inc": inc, "dup": (duplicates or {}).get(i)} for i, inc in placed.items()]
            self.session.execute(text(
                "UPDATE items SET incident_id = v.inc, duplicate_of_id = coalesce(v.dup, items.duplicate_of_id) "
                "FROM json_to_recordset(CAST(:rows AS json)) AS v(id integer, inc integer, dup integer) "
                "WHERE items.id = v.id"), {"rows": json.dumps(rows)})
        elif placed:
            # the same on SQLite: a CASE of the chunk's ids would be a statement of a new shape per chunk size, each
            # kept in the compiled-statement cache with its thousands of parameters (memory grew with the scan)
            placements = [[i, inc, (duplicates or {}).get(i)] for i, inc in placed.items()]
            self.session.execute(text(
                "UPDATE items SET incident_id = v.inc, duplicate_of_id = coalesce(v.dup, items.duplicate_of_id) "
                "FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS inc, "
                "json_extract(value, '$[2]') AS dup FROM json_each(:rows)) AS v "
                "WHERE items.id = v.id"), {"rows": json.dumps(placements)})
        self._new.clear()
        self._placed.clear()
        return placed

    def _insert_incidents(self) -> dict[int, int]:
        if not self._new:
            return {}
        rows: list[dict[str, Any]] = [{
                 "brand": n.brand, "event_key": n.event_key, "open_key": open_key(n.brand, n.event_key),
                 "title": n.title, "state": State.TRIGGERED.value, "grade": None, "grade_source": "auto",
                 "reasons": [], "heat": 0.0, "item_count": 0, "velocity": 0.0, "engagement": 0, "platforms": [],
                 "sources": [], "topics": [], "sentiment": None, "is_drill": False, "policy": {},
                 "first_seen_at": n.first_seen, "last_seen_at": n.last_seen, "opened_at": self.now,
                 # the ticks look at a new incident at once (bot.models.due)
                 "updated_at": self.now, "escalate_at": self.now, "remind_at": self.now, "version": 1}
                for n in self._new.values()]
        make = postgresql.insert if self.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        stmt = make(Incident).values(rows).on_conflict_do_nothing(index_elements=["open_key"])
        by_key = {key: id_ for id_, key in self.session.execute(stmt.returning(Incident.id, Incident.open_key))}
        self.opened.update(by_key.values())
        lost = [r["open_key"] for r in rows if r["open_key"] not in by_key]
        if lost:
            # a racing scan opened an incident for this brand and event since the prefetch: its items join it
            by_key.update({key: id_ for id_, key in self.session.execute(
                select(Incident.id, Incident.open_key).where(Incident.open_key.in_(lost)))})
        return {prov: by_key[open_key(n.brand, n.event_key)] for prov, n in self._new.items()}

    # -- grading ------------------------------------------------------------------------------------------
    def load_tallies(self, incidents: Iterable[Incident], batch: dict[int, list[IncidentItem]]) -> None:
        """The tallies of these incidents with the batch's items (`batch`, by incident) added.

        An incident with a stored tally costs its row and one count of its recent items (all of them in one
        query); one without (new, or older than running tallies) has its items read once (one query for all).
        """
        since = self.now - timedelta(hours=self.grading.spike_window_hours)
        stored = {inc.id: inc for inc in incidents if inc.tally is not None and inc.id not in self._tallies}
        read = [inc.id for inc in incidents if inc.id not in stored and inc.id not in self._tallies]
        if stored:
            seen = seen_at()
            # the batch's items are placed already: counted here, then taken off (a NOT IN of the batch's ids
            # cost a comparison with each of them for every recent item of a big incident)
            recent = dict(self.session.execute(
                select(Item.incident_id, func.count()).where(Item.incident_id.in_(stored), seen >= since)
                .group_by(Item.incident_id)).all())
            for id_, inc in stored.items():
                placed_now = sum(1 for item in batch.get(id_, ()) if item.published_at >= since)
                self._tallies[id_] = StoredTally.of_row(inc, recent.get(id_, 0) - placed_now, self.grading)
                for item in batch.get(id_, ()):
                    self._tallies[id_].add(item)
        if read:
            for i in read:
                self._tallies[i] = IncidentTally(self.grading)
            for incident_id, item in self._items(read):
                self._tallies[incident_id].add(item)

    def _items(self, incident_ids: list[int]) -> Iterable[tuple[int, IncidentItem]]:
        rows = self.session.execute(
            select(Item.incident_id, seen_at(), Source.name, Item.platform, Item.authority, Item.reposts,
                   Item.comments, Item.likes, Item.views, Item.negative, Item.regulators, Item.brands, Item.author,
                   Incident.brand)
            .join(Source, Source.id == Item.source_id).join(Incident, Incident.id == Item.incident_id)
            .where(Item.incident_id.in_(incident_ids)))
        for (inc, seen, source, platform, authority, reposts, comments, likes, views, negative, regulators, brands,
             author, brand) in rows:
            yield inc, IncidentItem(published_at=seen, source=source, platform=platform, authority=authority,
                                    engagement=reposts + comments + likes + views // 100,
                                    negative=_negative_about(brands, negative, brand),
                                    regulators=tuple(regulators or ()), author=author)

    def items(self, incident_id: int) -> list[IncidentItem]:
        return [item for _, item in self._items([incident_id])]

    def stats(self, incident_id: int, now: datetime) -> IncidentStats:
        if incident_id not in self._tallies:
            self._tallies[incident_id] = IncidentTally.of(self.items(incident_id), self.grading)
        return self._tallies[incident_id].stats(now)

    def tally(self, incident_id: int) -> IncidentTally:
        return self._tallies[incident_id]


class StoredTally(IncidentTally):
    """An incident's tally restored from its row and a count of its recent items, plus the items added since:
    what adding an item costs does not grow with the incident."""

    def __init__(self, config: GradingConfig, count: int, first: datetime, last: datetime, recent: int):
        super().__init__(config)
        self._count, self._first, self._last, self._recent = count, first, last, recent

    @classmethod
    def of_row(cls, inc: Incident, recent: int, config: GradingConfig) -> "StoredTally":
        stored = inc.tally or {}
        tally = cls(config, inc.item_count, inc.first_seen_at, inc.last_seen_at, recent)
        tally.negative_count = int(stored.get("negative", 0))
        tally.weighted_reach = float(stored.get("reach", 0.0))
        tally.regulators = dict.fromkeys(stored.get("regulators", ()))
        tally.state_media = dict.fromkeys(stored.get("state_media", ()))
        tally.engagement = inc.engagement
        tally.sources, tally.platforms = set(inc.sources or ()), set(inc.platforms or ())
        tally._authored = sorted((datetime.fromisoformat(at), who) for at, who in stored.get("authored", ()))
        return tally

    def stats(self, now: datetime) -> IncidentStats:
        since = now - timedelta(hours=self._config.spike_window_hours)
        new = self._times
        return IncidentStats(
            item_count=self._count + len(new), negative_count=self.negative_count,
            first_seen=min([self._first, *new[:1]]), last_seen=max([self._last, *new[-1:]]),
            engagement=self.engagement, weighted_reach=self.weighted_reach, sources=frozenset(self.sources),
            platforms=frozenset(self.platforms), regulators=tuple(self.regulators),
            state_media=tuple(self.state_media), recent_count=self._recent + len(new) - bisect_left(new, since),
            pattern_authors=self._pattern_authors())


def stored_sums(tally: IncidentTally, last_seen: datetime) -> dict[str, Any]:
    """What `incidents.tally` keeps of a tally (the rest has columns of its own). Of the authors of negative
    items (complaint patterns), only those inside the pattern window before the newest item are kept: an older
    pattern has raised the grade already, and grades only rise."""
    window = timedelta(hours=tally._config.complaint_pattern.window_hours)
    authored = [[at.isoformat(), who] for at, who in tally._authored if at >= last_seen - window]
    return {"negative": tally.negative_count, "reach": tally.weighted_reach, "regulators": list(tally.regulators),
            "state_media": list(tally.state_media), "authored": authored}


def signature_columns(simhash: int, bands: tuple[int, ...]) -> dict[str, int]:
    """An item's SimHash (signed, to fit BIGINT) and its four indexed bands, as column values."""
    b0, b1, b2, b3 = bands
    return {"simhash": to_signed(simhash), "simhash_b0": b0, "simhash_b1": b1, "simhash_b2": b2, "simhash_b3": b3}


def _negative_about(brands: list | None, negative: bool, brand: str) -> bool:
    """Whether the stored analysis found the item negative about this brand (rows without brands: the item flag)."""
    if not brands:
        return negative
    return any(b.get("negative") for b in brands if isinstance(b, dict) and b.get("name") == brand)
