"""Retention of community messages: the text of items from `feishu_chat` sources is deleted once older than
the source's `retention_days` (the item row, its analysis and its place in incidents stay, so statistics hold)."""
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session

from bot.config import Config
from bot.config.sources import FeishuChatSource
from bot.models import Item, Source

PURGED = ""


def purge_expired_text(session: Session, config: Config, now: datetime) -> int:
    """Blank the title and text of community items stored before their source's retention; returns how many."""
    purged = 0
    for spec in config.sources:
        if not isinstance(spec, FeishuChatSource) or spec.retention_days is None:
            continue
        source_id = session.scalar(select(Source.id).where(Source.name == spec.name))
        if source_id is None:
            continue
        stmt = (update(Item).where(Item.source_id == source_id,
                                   Item.fetched_at < now - timedelta(days=spec.retention_days),
                                   or_(Item.text != PURGED, Item.title != PURGED))
                .values(text=PURGED, title=PURGED).execution_options(synchronize_session=False))
        result = session.execute(stmt)
        assert isinstance(result, CursorResult)
        purged += result.rowcount
    return purged
