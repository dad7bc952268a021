"""Alerting fixtures: a Runtime on the test database with the FakeClock, the real lark-oapi client pointed
at the fake Feishu, and factories for incidents and their items."""
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.alerting.notify import Change, ChangeKind, on_incident_change
from bot.feishu.client import FeishuClient
from bot.models import Incident, Item, Source
from jobs.deliver import deliver_due

CRISIS, PR, SERVICE, QC = "oc_crisis", "oc_pr", "oc_service", "oc_qingcheng"
ON_CALL, LEAD = "ou_oncall1", "ou_lead_1"

ALERTING = {
    "chats": {"crisis": CRISIS, "pr": PR, "service": SERVICE, "qingcheng": QC},
    "routes": {"default": ["crisis"], "轻微": ["service"], "一般": ["pr"], "重大": ["crisis"]},
    "brand_routes": {"青橙分期": {"重大": ["crisis", "qingcheng"]}},
    "on_call": [ON_CALL],
    "leads": [LEAD],
}


@pytest.fixture
def rt(make_runtime, feishu):
    return make_runtime({"feishu": {"domain": feishu.url, "timeout": 1}, "alerting": ALERTING,
                         "team": {"members": [{"open_id": ON_CALL, "name": "值班张三"}]}})


@pytest.fixture
def client(feishu):
    return FeishuClient(f"cli_{uuid.uuid4().hex[:10]}", "secret", feishu.url, timeout=1.0)


class Incidents:
    """Makes incidents and items the way intake leaves them, and tells alerting about changes."""

    def __init__(self, rt):
        self.rt = rt
        self._n = 0

    def _source(self, session) -> int:
        sid = session.scalar(select(Source.id).where(Source.name == "weibo"))
        if sid is None:
            src = Source(name="weibo", kind="rss", platform="weibo", cursor={}, created_at=self.rt.clock.now())
            session.add(src)
            session.flush()
            sid = src.id
        return sid

    def add_items(self, session, inc: Incident, n: int, title: str = "星河消费金融暴力催收") -> None:
        sid, now = self._source(session), self.rt.clock.now()
        for _ in range(n):
            self._n += 1
            session.add(Item(source_id=sid, external_id=f"x{self._n}", platform="weibo", title=f"{title} {self._n}",
                             text=title, url=f"https://weibo.com/p/{self._n}", fetched_at=now, published_at=now,
                             views=100, reposts=self._n, brands=[], topics=[], rules=[], regulators=[],
                             incident_id=inc.id))
        inc.item_count += n
        inc.last_seen_at = now
        session.flush()

    def open(self, grade: str | None = "重大", brand: str = "星河消费金融", items: int = 1, **fields) -> int:
        now = self.rt.clock.now()
        with self.rt.sessions() as s, s.begin():
            inc = Incident(brand=brand, event_key="催收", open_key=f"{brand}:催收:{uuid.uuid4().hex[:6]}",
                           title=f"{brand}暴力催收投诉", state="triggered", grade=grade,
                           reasons=["2 小时内 12 条（负面 12 条）", "监管部门被点名：银保监"], item_count=0,
                           velocity=6.0, engagement=5400, platforms=["weibo"], sources=["weibo"],
                           topics=[{"name": "暴力催收", "words": ["催收", "爆通讯录"]}], sentiment=0.1,
                           first_seen_at=now, last_seen_at=now, opened_at=now, updated_at=now, **fields)
            s.add(inc)
            s.flush()
            self.add_items(s, inc, items)
            on_incident_change(s, self.rt.config, inc, Change(ChangeKind.OPENED), now)
            return inc.id

    def change(self, incident_id: int, kind: ChangeKind, items: int = 0, actor: str | None = None,
               detail: dict | None = None, **fields) -> None:
        with self.rt.sessions() as s, s.begin():
            inc = s.get(Incident, incident_id)
            if items:
                self.add_items(s, inc, items)
            for k, v in fields.items():
                setattr(inc, k, v)
            inc.updated_at = self.rt.clock.now()
            on_incident_change(s, self.rt.config, inc, Change(kind, actor, detail or {}), self.rt.clock.now())


@pytest.fixture
def incidents(rt) -> Incidents:
    return Incidents(rt)


def run_worker(rt, sink, clock, seconds: int = 0, rounds: int = 1):
    """Move the clock, then let the worker deliver what is due, `rounds` times."""
    reports = []
    for _ in range(rounds):
        if seconds:
            clock.advance(seconds=seconds)
        reports.append(deliver_due(rt, sink))
    return reports


def due_in(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)
