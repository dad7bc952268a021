"""Every message right, end to end: three chats routed by grade, and a burst that climbs 轻微 → 一般 → 重大 within
one scan (one group_wait): one card, in the 重大 chat only; nothing in the 轻微 and 一般 chats."""
import json
from datetime import datetime, timedelta

from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from bot.clock import SHANGHAI
from bot.db import make_engine
from bot.models import Delivery, IncidentEvent
from tests.conftest import write_config

SERVICE, PR, CRISIS = "oc_service_room", "oc_pr_room", "oc_crisis_room"
ON_CALL, LEAD = "ou_oncall_e2e", "ou_lead_e2e"
COMPLAINTS = ["星河消费金融暴力催收，爆通讯录骚扰亲友", "星河消费金融催收电话打给我同事，威胁上门",
              "被星河消费金融催收骚扰到崩溃，投诉无门", "星河消费金融暴力催收，辱骂家人"]


def _burst(n: int, start: datetime) -> bytes:
    items = [{"mid": f"m{i}", "title": f"{COMPLAINTS[i % len(COMPLAINTS)]}（第{i}位网友）",
              "summary": "暴力催收，爆通讯录，骚扰亲友，太过分了", "link": f"https://weibo.example.com/p/{i}",
              "user": {"name": f"网友{i}"},
              "pub_time": (start + timedelta(minutes=i)).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
              "stats": {"read": 5000, "repost": 400, "comment": 300, "like": 300}} for i in range(n)]
    return json.dumps({"code": 0, "data": {"items": items}}, ensure_ascii=False).encode()


def _config(tmp_path, sources, feishu, db_url, body: bytes):
    url = sources.serve("/api/search", body)
    return write_config(tmp_path, {
        "feishu": {"domain": feishu.url, "timeout": 2},
        "database": {"url": db_url},
        "sources": [{"name": "vendor", "kind": "json", "url": url, "platform": "weibo", "items_path": "data.items",
                     "fields": {"id": "mid", "title": "title", "content": "summary", "url": "link",
                                "author": "user.name", "published": "pub_time", "views": "stats.read",
                                "reposts": "stats.repost", "comments": "stats.comment", "likes": "stats.like"}}],
        "brands": [{"name": "星河消费金融"}],
        "alerting": {"chats": {"service": SERVICE, "pr": PR, "crisis": CRISIS},
                     "routes": {"default": ["service"], "轻微": ["service"], "一般": ["pr"], "重大": ["crisis"]},
                     "on_call": [ON_CALL], "leads": [LEAD]},
        "team": {"members": [{"open_id": ON_CALL, "name": "张三", "role": "responder"},
                             {"open_id": LEAD, "name": "李四", "role": "lead"}]},
    })


def test_a_burst_climbing_to_major_in_one_group_wait_gives_one_card_in_the_major_chat(
        tmp_path, sources, feishu, db_url, app_env):
    path = _config(tmp_path, sources, feishu, db_url, _burst(24, datetime.now(SHANGHAI) - timedelta(minutes=30)))
    result = CliRunner().invoke(main, ["scan", "--once", "-c", str(path)], env=app_env)
    assert result.exit_code == 0, result.output

    engine = make_engine(db_url)
    with engine.connect() as conn:
        graded = [d["to"] for d in conn.scalars(select(IncidentEvent.detail).where(IncidentEvent.kind == "graded")
                                                 .order_by(IncidentEvent.id))]
        cards = conn.execute(select(Delivery.chat_id, Delivery.status).where(Delivery.kind == "incident_card")
                             .order_by(Delivery.id)).all()
    engine.dispose()
    assert graded == ["轻微", "一般", "重大"]  # the burst did climb through every grade in this one scan
    assert [m.chat_id for m in feishu.posts()] == [CRISIS]
    assert feishu.in_chat(SERVICE) == [] and feishu.in_chat(PR) == []
    # the cards queued on the way up were withdrawn before they went out
    assert sorted(cards) == sorted([(SERVICE, "withdrawn"), (PR, "withdrawn"), (CRISIS, "sent")])
    [card] = feishu.in_chat(CRISIS)
    assert "重大" in card.text and set(card.mentions) == {ON_CALL, LEAD}
    assert [m for m in feishu.messages if m.root_id] == []  # no thread reply about what the card already shows
