"""IncidentService: every change to an incident writes its timeline row and its outbox rows together."""
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.alerting import outbox
from bot.cards.item import ItemView, render_item_card
from bot.config import Config
from bot.models import Incident, IncidentEvent, Item

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Opened:
    incident_id: int
    deliveries: int


class IncidentService:
    def __init__(self, config: Config):
        self.config = config

    def open_for_item(self, session: Session, item: Item, brand: str, source_name: str, now: datetime) -> Opened:
        """Open an incident for one new matching item and queue its card for the routed chats."""
        event_key = f"item:{item.id}"
        incident = Incident(
            brand=brand, event_key=event_key, open_key=f"{brand}:{event_key}", title=item.title or item.text[:60],
            state="triggered", grade=None, reasons=[], item_count=1, platforms=[item.platform],
            sources=[source_name], first_seen_at=now, last_seen_at=now, opened_at=now, updated_at=now,
            engagement=item.views + item.reposts + item.comments + item.likes,
        )
        session.add(incident)
        session.flush()
        item.incident_id = incident.id
        session.add(IncidentEvent(incident_id=incident.id, at=now, kind="detected", via="system",
                                  text=f"{source_name} 发现提及「{brand}」的内容", detail={"item_id": item.id}))
        return Opened(incident.id, self.enqueue_item_card(session, incident, item, now))

    def enqueue_item_card(self, session: Session, incident: Incident, item: Item, now: datetime) -> int:
        """Queue the card of the incident's first item for every routed chat; returns how many."""
        source_name = incident.sources[0] if incident.sources else ""
        brand = incident.brand
        card = render_item_card(ItemView(brand=brand, title=item.title, excerpt=item.text, url=item.url,
                                         source=source_name, platform=item.platform,
                                         published_at=item.published_at, incident_id=incident.id))
        chats = self.config.alerting.chat_ids_for(incident.grade)
        if not chats:
            log.warning("incident %s: no chat is routed for it (alerting.routes.default is empty)", incident.id)
        for chat_id in chats:
            outbox.enqueue(session, kind="incident_card", chat_id=chat_id, msg_type="interactive", payload=card,
                           now=now, incident_id=incident.id, item_id=item.id, key=f"i{incident.id}-card-{_short(chat_id)}")
        return len(chats)


def _short(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:16]
