"""Storing normalised items exactly once: the unique constraints on (source, external id) and on the
canonical URL decide, so two scans racing on the same database store each item once."""
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.items.normalise import NormalisedItem
from bot.models import Item, Source


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
            row = session.scalars(select(Source).where(Source.name == name)).one()
    return row


def is_stored(session: Session, source: Source, item: NormalisedItem) -> bool:
    """True when the item's (source, id) or canonical URL is stored already."""
    if session.scalar(select(Item.id).where(Item.source_id == source.id, Item.external_id == item.external_id)):
        return True
    return bool(item.url_key and session.scalar(select(Item.id).where(Item.url_key == item.url_key)))


def store_items(session: Session, source: Source, items: list[NormalisedItem], authority: float = 1.0) -> list[Item]:
    """Insert the items not stored yet (flushed, in the caller's transaction); returns the new rows."""
    stored = []
    for item in items:
        if is_stored(session, source, item):
            continue
        row = Item(source_id=source.id, external_id=item.external_id, url_key=item.url_key, url=item.url,
                   platform=item.platform, title=item.title, text=item.text, author=item.author,
                   published_at=item.published_at, fetched_at=item.fetched_at, views=item.views,
                   reposts=item.reposts, comments=item.comments, likes=item.likes, authority=authority, target=item.target,
                   brands=[], topics=[])
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:  # a racing writer stored it between the check and the insert
            continue
        stored.append(row)
    return stored
