"""The team's labelled examples: /fp (误报) marks an incident's negative items as not negative, /miss (漏报)
marks a text or a stored item's link as negative. `yuqing train` learns from them (bot/training.py)."""
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.items.normalise import url_key
from bot.items.urls import canonical_url
from bot.models import Item, Label

MIN_TEXT = 4
MAX_TEXT = 20_000


class BadLabel(ValueError):
    """The example cannot be stored; the message says why, in words for the chat."""


def _item_text(item: Item) -> str:
    title, text = item.title.strip(), item.text
    return text if not title or title in text else f"{title}\n{text}"


def label_false_positive(session: Session, incident_id: int, who: str, now: datetime) -> int:
    """Store the incident's negative items as "not negative" examples (once per item); returns how many."""
    items = session.scalars(select(Item).where(Item.incident_id == incident_id, Item.negative.is_(True))).all()
    known = set(session.scalars(select(Label.item_id).where(Label.incident_id == incident_id, Label.kind == "fp")))
    added = 0
    for item in items:
        if item.id in known:
            continue
        session.add(Label(kind="fp", negative=False, text=_item_text(item), url=item.url, item_id=item.id,
                          incident_id=incident_id, created_by=who, created_at=now))
        added += 1
    session.flush()
    return added


def record_miss(session: Session, given: str, who: str, now: datetime) -> Label:
    """A missed negative (漏报): the text itself, or the link of a stored item. BadLabel when neither works."""
    given = given.strip()
    if not given:
        raise BadLabel("请给出漏报内容的链接或原文")
    if given.lower().startswith(("http://", "https://")) and " " not in given:
        canonical = canonical_url(given)
        key = url_key(canonical)
        item = session.scalar(select(Item).where(Item.url_key == key)) if key else None
        if item is None:
            raise BadLabel("没有找到这个链接的内容（还没有抓取到），请直接粘贴原文：/miss 原文")
        label = Label(kind="miss", negative=True, text=_item_text(item), url=item.url, item_id=item.id,
                      incident_id=item.incident_id, created_by=who, created_at=now)
    else:
        if len(given) < MIN_TEXT:
            raise BadLabel(f"原文太短（至少 {MIN_TEXT} 个字）")
        label = Label(kind="miss", negative=True, text=given[:MAX_TEXT], url=None, item_id=None, incident_id=None,
                      created_by=who, created_at=now)
    session.add(label)
    session.flush()
    return label


def all_labels(session: Session) -> list[Label]:
    """Every labelled example, oldest first; a later label of the same text wins at training time."""
    return list(session.scalars(select(Label).order_by(Label.id)))
