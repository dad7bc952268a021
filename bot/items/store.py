"""Storing normalised items exactly once, a batch at a time.

One query finds which of a batch are stored already (by (source, external id) and by canonical URL together),
one multi-row `INSERT … ON CONFLICT (source_id, external_id) DO NOTHING RETURNING` stores the rest with their
analysis columns. The unique constraints decide, so two scans racing on the same database store each item once.

Only those duplicate constraints mean "already stored". Any other integrity error (a primary key sequence
behind the data, a foreign key) is a fault of the database, not of the item: it raises `StoreError` naming the
item and the constraint, and nothing of the batch is kept. A record the database refuses for its own content
(a value it cannot hold) is rejected alone, with the reason, and the rest of the batch is stored.
"""
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, or_, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DataError, IntegrityError, StatementError
from sqlalchemy.orm import Session

from bot.errors import YuqingError
from bot.items.normalise import NormalisedItem
from bot.models import Item, Source

log = logging.getLogger(__name__)

# the constraints whose violation means "this item is stored already"
DUPLICATE_CONSTRAINTS = frozenset({"uq_items_source_id_external_id", "uq_items_url_key"})
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: ([\w., ]+)")
_SQLITE_COLUMNS = {"items.source_id, items.external_id": "uq_items_source_id_external_id",
                   "items.url_key": "uq_items_url_key"}


class StoreError(YuqingError):
    """An item could not be stored for a reason that is not a duplicate: carries the item and the constraint."""

    def __init__(self, source: str, external_id: str, constraint: str, detail: str):
        self.source, self.external_id, self.constraint = source, external_id, constraint
        super().__init__(f"item {external_id!r} of source {source} violates {constraint}: {detail}")


@dataclass(frozen=True)
class Rejected:
    """An item the database refused for its content; the others of its batch are stored."""

    item: NormalisedItem
    reason: str


def source_row(session: Session, name: str, kind: str, platform: str, now: datetime) -> Source:
    """The source's row, created on first use (a racing creator wins; we read its row)."""
    row = session.scalar(select(Source).where(Source.name == name))
    if row is None:
        row = Source(name=name, kind=kind, platform=platform, cursor={}, created_at=now)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            row = session.execute(select(Source).where(Source.name == name)).scalar_one()
    return row


def is_stored(session: Session, source: Source, item: NormalisedItem) -> bool:
    """True when the item's (source, id) or canonical URL is stored already."""
    return not unstored(session, source, [item])


def unstored(session: Session, source: Source, items: Sequence[NormalisedItem]) -> list[NormalisedItem]:
    """The items of the batch not stored yet, in order, each once (the first of two with one id or URL)."""
    if not items:
        return []
    ids = list({i.external_id for i in items})
    keys = list({i.url_key for i in items if i.url_key})
    where = and_(Item.source_id == source.id, Item.external_id.in_(ids))
    if keys:
        where = or_(where, Item.url_key.in_(keys))
    seen_ids: set[str] = set()
    seen_keys: set[str] = set()
    for source_id, external_id, key in session.execute(select(Item.source_id, Item.external_id, Item.url_key)
                                                       .where(where)):
        if source_id == source.id:
            seen_ids.add(external_id)
        if key:
            seen_keys.add(key)
    out = []
    for item in items:
        if item.external_id in seen_ids or (item.url_key and item.url_key in seen_keys):
            continue
        seen_ids.add(item.external_id)
        if item.url_key:
            seen_keys.add(item.url_key)
        out.append(item)
    return out


def item_values(source: Source, item: NormalisedItem, authority: float, analysis: dict[str, Any]) -> dict[str, Any]:
    """The row of a new item: what was fetched, and the analysis columns (`analysis`) written with it."""
    return {"source_id": source.id, "external_id": item.external_id, "url_key": item.url_key, "url": item.url,
            "platform": item.platform, "title": item.title, "text": item.text, "author": item.author,
            "published_at": item.published_at, "fetched_at": item.fetched_at, "views": item.views,
            "reposts": item.reposts, "comments": item.comments, "likes": item.likes, "authority": authority,
            "target": item.target,
            "brands": [], "topics": [], "negative": False, "sentiment": None, "risk_score": 0.0, "event_key": None,
            "rules": [], "regulators": [], "simhash": None, "simhash_b0": None, "simhash_b1": None,
            "simhash_b2": None, "simhash_b3": None, "duplicate_of_id": None, "incident_id": None, **analysis}


def constraint_of(exc: IntegrityError) -> str:
    """The name of the constraint an integrity error is about ("unknown" when the driver does not say)."""
    diag = getattr(exc.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:
        return str(name)
    message = str(exc.orig)
    m = _SQLITE_UNIQUE.search(message)
    if m:
        columns = m.group(1).strip()
        return _SQLITE_COLUMNS.get(columns, f"unique({columns})")
    if "FOREIGN KEY" in message:
        return "foreign key"
    if "NOT NULL" in message:
        return message.split(":")[-1].strip() + " not null"
    return "unknown"


def _insert(session: Session, rows: list[dict[str, Any]]):
    table = cast(Table, Item.__table__)  # Core, not the ORM's bulk path: the rows need no objects
    if session.get_bind().dialect.name == "postgresql":
        # the rows as one JSON parameter: a multi-row VALUES of thousands of placeholders costs the driver more
        # to prepare than the server to insert
        columns = ", ".join(rows[0])
        from_json = text(f"INSERT INTO items ({columns}) SELECT {columns} FROM json_populate_recordset(NULL::items, "
                         f"CAST(:rows AS json)) ON CONFLICT (source_id, external_id) DO NOTHING "
                         f"RETURNING id, external_id")
        return session.execute(from_json, {"rows": json.dumps(rows, ensure_ascii=False, default=_json_value)}).all()
    stmt = sqlite.insert(table).on_conflict_do_nothing(index_elements=["source_id", "external_id"])
    # one statement compiled once: SQLAlchemy sends the rows as multi-row VALUES pages ("insertmanyvalues")
    return session.execute(stmt.returning(table.c.id, table.c.external_id), rows).all()


def _json_value(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def insert_items(session: Session, source: Source, items: Sequence[NormalisedItem],
                 rows: Sequence[dict[str, Any]]) -> tuple[dict[str, int], list[Rejected]]:
    """Insert the rows (`item_values` of `items`, same order) in one statement, in the caller's transaction.

    Returns the new items' ids by external id (an item a racing writer stored meanwhile is left out) and the
    items the database refused for their content. Raises StoreError on any other integrity error.
    """
    if not rows:
        return {}, []
    try:
        with session.begin_nested():
            return {ext: id_ for id_, ext in _insert(session, list(rows))}, []
    except (IntegrityError, DataError, StatementError, OverflowError) as exc:
        if isinstance(exc, IntegrityError) and constraint_of(exc) not in DUPLICATE_CONSTRAINTS:
            log.warning("source %s: batch insert failed (%s); storing one at a time to find the item",
                        source.name, constraint_of(exc))
    # one at a time: find the item that failed the batch (a URL a racing writer stored, a bad value)
    stored: dict[str, int] = {}
    rejected: list[Rejected] = []
    for item, row in zip(items, rows):
        try:
            with session.begin_nested():
                stored.update({ext: id_ for id_, ext in _insert(session, [row])})
        except IntegrityError as exc:
            constraint = constraint_of(exc)
            if constraint in DUPLICATE_CONSTRAINTS:
                continue  # a racing writer stored it between the check and the insert
            raise StoreError(source.name, item.external_id, constraint, str(exc.orig).strip()) from exc
        except (DataError, StatementError, OverflowError) as exc:  # sqlite3 raises OverflowError for a huge int
            reason = f"refused by the database: {str(getattr(exc, 'orig', exc)).strip().splitlines()[0]}"
            log.warning("source %s: item %r rejected: %s", source.name, item.external_id, reason)
            rejected.append(Rejected(item, reason))
    return stored, rejected
