"""The read side of an incident card: `build_incident_view` gathers what the card shows from the database.

Chat-ops calls it (with `bot.cards.incident.render_incident_card`) to answer a button press with the new card;
the delivery worker calls it at send time, so every card and patch shows the incident as it is now.
"""
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.alerting.routing import mentions_for
from bot.cards.incident import IncidentView, ItemLine, TopicLine
from bot.config import Config
from bot.customers.routes import manager_of
from bot.state import State
from bot.models import Incident, Item, Source
from bot.oncall import leads, on_call
from bot.watchlists.entities import entity_label, entity_owner

TOP_ITEMS = 5


def display_name(config: Config, open_id: str | None) -> str | None:
    """A member's name from the team config, else the open_id itself."""
    if not open_id:
        return None
    member = next((m for m in getattr(config.team, "members", []) if m.open_id == open_id), None)
    return member.name if member else open_id


def _topics(raw: list) -> tuple[TopicLine, ...]:
    out = []
    for t in raw or []:
        if isinstance(t, dict) and t.get("name"):
            out.append(TopicLine(str(t["name"]), tuple(str(w) for w in t.get("words") or [])))
        elif isinstance(t, str):
            out.append(TopicLine(t, ()))
    return tuple(out)


def top_items(session: Session, incident_id: int, limit: int = TOP_ITEMS) -> tuple[ItemLine, ...]:
    """The incident's most engaging original items (reposts left out), newest first among equals."""
    engagement = Item.views + Item.reposts + Item.comments + Item.likes
    rows = session.execute(
        select(Item, Source.name).join(Source, Source.id == Item.source_id)
        .where(Item.incident_id == incident_id, Item.duplicate_of_id.is_(None))
        .order_by(engagement.desc(), Item.published_at.desc(), Item.id.desc()).limit(limit)
    ).all()
    return tuple(ItemLine(i.title or i.text, name, i.platform, i.published_at, i.url,
                          i.views + i.reposts + i.comments + i.likes) for i, name in rows)


def build_incident_view(session: Session, incident: Incident, config: Config, now: datetime) -> IncidentView:
    """Everything the incident's card shows, as of `now`."""
    state = State(incident.state)
    mentions = (mentions_for(config.alerting, incident.grade, on_call(config, now), leads(config, now))
                + entity_owner(config, incident.brand) + manager_of(config, incident) if state.is_open else ())
    return IncidentView(
        incident_id=incident.id, brand=incident.brand, summary=incident.title, grade=incident.grade,
        grade_source=incident.grade_source, reasons=tuple(str(r) for r in incident.reasons or ()), state=state,
        acknowledged_by=display_name(config, incident.acknowledged_by), owner=display_name(config, incident.owner),
        resolved_by=display_name(config, incident.resolved_by), item_count=incident.item_count,
        velocity=incident.velocity, engagement=incident.engagement, sentiment=incident.sentiment,
        platforms=tuple(incident.platforms or ()), sources=tuple(incident.sources or ()),
        topics=_topics(incident.topics), first_seen_at=incident.first_seen_at, last_seen_at=incident.last_seen_at,
        top_items=top_items(session, incident.id), playbook=tuple(config.alerting.steps_for(incident.grade)),
        mentions=tuple(dict.fromkeys(mentions)), is_drill=incident.is_drill, updated_at=now,
        entity=entity_label(config, incident.brand),
    )
