"""Response-discipline fixtures: a Runtime with a rota on the FakeClock, and factories for incidents,
their items and timeline rows (as intake and the incident actions leave them)."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.models import Delivery, Incident, IncidentEvent, Item, Source

SH = ZoneInfo("Asia/Shanghai")
CRISIS, PR = "oc_crisis", "oc_pr"
ALICE, BOB, LEAD = "ou_alice", "ou_bob", "ou_lead"
START = datetime(2026, 11, 23, 10, 0, tzinfo=SH).astimezone(timezone.utc)  # a Monday, 10:00 Shanghai

CONFIG = {
    "alerting": {"chats": {"crisis": CRISIS, "pr": PR}, "routes": {"default": ["crisis"], "一般": ["pr"]}},
    "team": {"members": [{"open_id": ALICE, "name": "张三"}, {"open_id": BOB, "name": "李四"},
                         {"open_id": LEAD, "name": "王组长", "role": "lead"}]},
    "response": {"rota": {"rotation": "weekly", "start": "2026-11-23",
                          "members": [{"open_id": ALICE, "name": "张三"}, {"open_id": BOB, "name": "李四"}],
                          "leads": [LEAD]},
                 "digest": {"chat": "crisis"}},
}


@pytest.fixture
def clock():
    from tests.clock import FakeClock

    return FakeClock(START)


@pytest.fixture
def rt(make_runtime):
    return make_runtime(CONFIG)


def make_incident(session, now: datetime, *, grade: str | None = "重大", state: str = "triggered", brand="星河消费金融",
                  title="星河消费金融暴力催收", card_chats=(CRISIS,), policy: dict | None = None, **fields) -> Incident:
    """An incident as intake leaves it, with its card queued for `card_chats`."""
    inc = Incident(brand=brand, event_key=f"k{now.timestamp()}{title}", open_key=None if state in ("resolved", "false_positive")
                   else f"{brand}:{title}:{now.timestamp()}", title=title, state=state, grade=grade, reasons=[],
                   platforms=["weibo"], sources=["weibo"], topics=[], policy=policy or {}, first_seen_at=now,
                   last_seen_at=now, opened_at=now, updated_at=now, **fields)
    session.add(inc)
    session.flush()
    session.add(IncidentEvent(incident_id=inc.id, at=now, kind="detected", via="system", text="weibo 发现", detail={}))
    for chat in card_chats:
        session.add(Delivery(uuid=f"i{inc.id}-card-{chat}", kind="incident_card", chat_id=chat, incident_id=inc.id,
                             msg_type="interactive", payload={}, status="sent", attempts=1, next_attempt_at=now,
                             created_at=now, sent_at=now))
    session.flush()
    return inc


def source_id(session, now: datetime, name: str = "weibo", platform: str = "weibo") -> int:
    sid = session.scalar(select(Source.id).where(Source.name == name))
    if sid is None:
        src = Source(name=name, kind="rss", platform=platform, cursor={}, created_at=now)
        session.add(src)
        session.flush()
        sid = src.id
    return sid


def add_items(session, inc: Incident, times: list[datetime], *, source="weibo", platform="weibo",
              sentiment: float = -0.6, text="暴力催收 投诉") -> list[Item]:
    sid = source_id(session, times[0], source, platform)
    rows = []
    for n, at in enumerate(times):
        key = f"{inc.id}-{source}-{at.timestamp()}-{n}"
        row = Item(source_id=sid, external_id=key, platform=platform, title=f"{text} {n}", text=text,
                   url=f"https://example.com/{key}", fetched_at=at, published_at=at, brands=[], topics=[],
                   rules=[], regulators=[], sentiment=sentiment, negative=sentiment < 0, incident_id=inc.id)
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
