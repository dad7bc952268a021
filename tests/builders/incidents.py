"""Rows for chat-ops tests: incidents (with their card message) and a config with a team."""
from datetime import datetime, timedelta

from bot.models import Incident, IncidentMessage

TEAM = [
    {"open_id": "ou_zhang", "name": "张三", "role": "responder"},
    {"open_id": "ou_wang", "name": "王五", "role": "responder"},
    {"open_id": "ou_li", "name": "李四", "role": "lead"},
    {"open_id": "ou_admin", "name": "赵六", "role": "admin"},
]

CONFIG = {"team": {"members": TEAM},
          "alerting": {"chats": {"crisis": "oc_crisis"}, "routes": {"default": ["crisis"]}}}


def make_incident(session, now: datetime, *, brand: str = "星河消费金融", grade: str | None = "一般",
                  state: str = "triggered", title: str = "星河消费金融 暴力催收投诉", age: timedelta = timedelta(0),
                  card_message_id: str | None = None, chat_id: str = "oc_crisis", n: int = 1) -> Incident:
    opened = now - age
    event_key = f"e{n}-{title}"
    inc = Incident(brand=brand, event_key=event_key, open_key=f"{brand}:{event_key}" if state in (
        "triggered", "acknowledged", "in_progress") else None, title=title, state=state, grade=grade,
        reasons=["投诉平台 12 条"], item_count=3, platforms=["complaint"], sources=["sample"],
        first_seen_at=opened, last_seen_at=opened, opened_at=opened, updated_at=opened)
    session.add(inc)
    session.flush()
    if card_message_id:
        session.add(IncidentMessage(incident_id=inc.id, chat_id=chat_id, message_id=card_message_id, created_at=now))
    return inc
