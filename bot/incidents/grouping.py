"""The incident store of the analysis's clustering (bot.analysis.clustering.IncidentStore), on the database.

Exactly-once: `incidents.open_key` is unique while an incident is open, so two scans that both decide to
open the same (brand, event) incident cannot: the loser's insert fails inside a savepoint and it joins the
winner's incident instead. Near-duplicate lookups go through the indexed SimHash band columns.
"""
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.analysis.clustering import ClusterItem, IncidentRef, StoredItem
from bot.analysis.grading import IncidentItem, IncidentStats, IncidentTally
from bot.analysis.simhash import to_signed
from bot.config.analysis import GradingConfig
from bot.state import OPEN_STATES, State
from bot.models import Incident, Item, Source




def open_key(brand: str, event_key: str) -> str:
    return f"{brand}:{event_key}"


def _seen_at():
    return func.coalesce(Item.published_at, Item.fetched_at)


class DbIncidentStore:
    """IncidentStore over one session (the caller's transaction).

    An incident's items are read once per store, on its first `stats`; items added after that go into the
    running tally, so a batch of k items joining an incident of n costs n + k, not k × n. A store lives for one
    transaction: the next one reads the incident afresh, items other writers committed in between included.
    """

    def __init__(self, session: Session, grading: GradingConfig, now: datetime,
                 window: timedelta = timedelta(hours=48)):
        self.session = session
        self.grading = grading
        self.now = now
        self.window = window
        self.opened: set[int] = set()
        self._tallies: dict[int, IncidentTally] = {}

    def open_incidents(self, brand: str, since: datetime, until: datetime) -> list[IncidentRef]:
        rows = self.session.execute(
            select(Incident.id, Incident.brand, Incident.event_key, Incident.last_seen_at)
            .where(Incident.brand == brand, Incident.state.in_(OPEN_STATES), Incident.last_seen_at >= since,
                   Incident.first_seen_at <= until)
            .order_by(Incident.last_seen_at.desc())
        ).all()
        return [IncidentRef(*row) for row in rows]

    def band_matches(self, brand: str, bands: tuple[int, ...], since: datetime,
                     until: datetime) -> list[StoredItem]:
        b0, b1, b2, b3 = bands
        rows = self.session.execute(
            select(Item.id, Item.incident_id, Item.simhash)
            .join(Incident, Incident.id == Item.incident_id)
            .where(Incident.brand == brand, _seen_at() >= since, _seen_at() <= until,
                   or_(Item.simhash_b0 == b0, Item.simhash_b1 == b1, Item.simhash_b2 == b2, Item.simhash_b3 == b3))
        ).all()
        return [StoredItem(str(i), inc, h & 0xFFFFFFFFFFFFFFFF) for i, inc, h in rows
                if h is not None and inc is not None]

    def add_item(self, incident_id: int, item: ClusterItem) -> None:
        row = self.session.get_one(Item, int(item.id))
        row.incident_id = incident_id
        incident = self.session.get_one(Incident, incident_id)
        incident.last_seen_at = max(incident.last_seen_at, item.published_at)
        self.session.flush()
        if incident_id in self._tallies:
            self._tallies[incident_id].add(item.graded)

    def open_incident(self, brand: str, event_key: str, item: ClusterItem) -> int | None:
        key = open_key(brand, event_key)
        row = self.session.get_one(Item, int(item.id))
        incident = Incident(
            brand=brand, event_key=event_key, open_key=key, title=row.title or row.text[:60],
            state=State.TRIGGERED.value, grade=None, reasons=[], first_seen_at=item.published_at,
            last_seen_at=item.published_at, opened_at=self.now, updated_at=self.now, platforms=[], sources=[],
            topics=[], policy={},
        )
        try:
            with self.session.begin_nested():
                self.session.add(incident)
                self.session.flush()
        except IntegrityError:
            # an open incident for this brand and event exists: a racing scan made it, or it lies outside the
            # window. An old post does not join an incident that began long after it: it stays ungrouped.
            existing = self.session.scalars(select(Incident).where(Incident.open_key == key)).one()
            if existing.first_seen_at - item.published_at > self.window:
                return None
            self.add_item(existing.id, item)
            return existing.id
        self.opened.add(incident.id)
        self.add_item(incident.id, item)
        return incident.id

    def items(self, incident_id: int) -> list[IncidentItem]:
        rows = self.session.execute(
            select(Item, Source.name, Incident.brand).join(Source, Source.id == Item.source_id)
            .join(Incident, Incident.id == Item.incident_id).where(Item.incident_id == incident_id)
        ).all()
        return [IncidentItem(published_at=item.published_at or item.fetched_at, source=source,
                             platform=item.platform, authority=item.authority,
                             engagement=item.reposts + item.comments + item.likes + item.views // 100,
                             negative=_negative_about(item, brand), regulators=tuple(item.regulators or ()),
                             author=item.author)
                for item, source, brand in rows]

    def stats(self, incident_id: int, now: datetime) -> IncidentStats:
        if incident_id not in self._tallies:
            self._tallies[incident_id] = IncidentTally.of(self.items(incident_id), self.grading)
        return self._tallies[incident_id].stats(now)


def _negative_about(item: Item, brand: str) -> bool:
    """Whether the stored analysis found the item negative about this brand (rows without brands: the item flag)."""
    if not item.brands:
        return item.negative
    return any(b.get("negative") for b in item.brands if b.get("name") == brand)


def store_signature(row: Item, simhash: int, bands: tuple[int, ...]) -> None:
    """Keep an item's SimHash (signed, to fit BIGINT) and its four indexed bands."""
    row.simhash = to_signed(simhash)
    row.simhash_b0, row.simhash_b1, row.simhash_b2, row.simhash_b3 = bands
