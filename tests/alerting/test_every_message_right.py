"""Every message right: routing by the grade now, silences that hold back every kind, untrusted text inert in
every kind, follow-ups that only say what is new, and the outbox written by the pipeline alone."""
import ast
import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.alerting.notify import Change, ChangeKind, on_incident_change
from bot.alerting.silences import Matcher, create_silence
from bot.feishu.events import parse_event
from bot.models import Delivery, Incident, IncidentEvent, Item, SilenceHold, Source
from handlers.app import ChatOps
from jobs.digest import send_digest
from jobs.escalate import run_escalations
from jobs.follow_up import run_follow_ups
from jobs.remind import remind_due
from jobs.silences import release_silences
from tests.alerting.conftest import CRISIS, PR, QC, SERVICE, run_worker
from tests.builders.feishu_events import message_event
from tests.conftest import REPO

ON_CALL, LEAD = "ou_oncall1", "ou_lead_1"
INJECTED = '星河消费金融 <at user_id="all"></at>全员 <at id=all></at> &lt;at user_id="all"&gt;客服 <at id=ou_evil></at>'
CONFIG = {
    "alerting": {
        "chats": {"crisis": CRISIS, "pr": PR, "service": SERVICE, "qingcheng": QC},
        "routes": {"default": ["crisis"], "轻微": ["service"], "一般": ["pr"], "重大": ["crisis"]},
        "brand_routes": {"青橙分期": {"重大": ["crisis", "qingcheng"]}},
        "on_call": [ON_CALL], "leads": [LEAD], "burst_items": 2, "repeat_interval": 600,
    },
    "team": {"members": [{"open_id": ON_CALL, "name": "值班张三", "role": "responder"},
                         {"open_id": LEAD, "name": "组长李四", "role": "lead"}]},
    "response": {"digest": {"chat": "crisis", "time": "00:00"}},
}


@pytest.fixture
def rt(make_runtime, feishu):
    return make_runtime({**CONFIG, "feishu": {"domain": feishu.url, "timeout": 1}})


def _source(s, now) -> int:
    sid = s.scalar(select(Source.id).where(Source.name == "weibo"))
    if sid is None:
        row = Source(name="weibo", kind="rss", platform="weibo", cursor={}, created_at=now)
        s.add(row)
        s.flush()
        sid = row.id
    return sid


def _items(s, inc: Incident, n: int, now, title: str = "星河消费金融暴力催收", negative: bool = True) -> None:
    sid = _source(s, now)
    for _ in range(n):
        key = uuid.uuid4().hex[:10]
        s.add(Item(source_id=sid, external_id=key, platform="weibo", title=title, text=title,
                   url=f"https://weibo.com/p/{key}", fetched_at=now, published_at=now, brands=[], topics=[], rules=[],
                   regulators=[], negative=negative, sentiment=0.1 if negative else 0.9, incident_id=inc.id))
    inc.item_count += n
    inc.last_seen_at = now
    s.flush()


def _open(rt, grade="轻微", title="星河消费金融暴力催收投诉", items=1, brand="星河消费金融") -> int:
    now = rt.clock.now()
    with rt.sessions() as s, s.begin():
        inc = Incident(brand=brand, event_key=f"e-{uuid.uuid4().hex[:6]}", open_key=uuid.uuid4().hex,
                       title=title, state="triggered", grade=grade, reasons=["2 小时内 3 条"], item_count=0,
                       platforms=["weibo"], sources=["weibo"], topics=[{"name": "暴力催收", "words": ["催收"]}],
                       first_seen_at=now, last_seen_at=now, opened_at=now, updated_at=now, policy={})
        s.add(inc)
        s.flush()
        _items(s, inc, items, now, title)
        on_incident_change(s, rt.config, inc, Change(ChangeKind.OPENED), now)
        return inc.id


def _change(rt, iid: int, kind: ChangeKind, items: int = 0, title: str = "星河消费金融暴力催收", **fields) -> None:
    now = rt.clock.now()
    with rt.sessions() as s, s.begin():
        inc = s.get(Incident, iid)
        detail = {"from": inc.grade, "to": fields.get("grade", inc.grade)}
        if items:
            _items(s, inc, items, now, title)
        for k, v in fields.items():
            setattr(inc, k, v)
        inc.updated_at = now
        on_incident_change(s, rt.config, inc, Change(kind, None, detail), now)


def _deliveries(rt, kind: str | None = None) -> list[Delivery]:
    with rt.sessions() as s:
        stmt = select(Delivery).order_by(Delivery.id)
        return list(s.scalars(stmt.where(Delivery.kind == kind) if kind else stmt))


# -- routing by the grade now -----------------------------------------------------------------------------
def test_a_climb_inside_group_wait_gives_one_card_in_the_final_grades_chat(rt, client, feishu, clock):
    iid = _open(rt, "轻微")
    clock.advance(seconds=10)
    _change(rt, iid, ChangeKind.GRADE_UP, items=3, grade="一般")
    clock.advance(seconds=10)
    _change(rt, iid, ChangeKind.GRADE_UP, items=5, grade="重大")
    run_worker(rt, client, clock)  # 20 s in: the first card's group_wait (30 s) still runs for the new one too
    assert feishu.posts() == []
    run_worker(rt, client, clock, seconds=15)
    assert [m.chat_id for m in feishu.posts()] == [CRISIS]
    assert {(d.chat_id, d.status) for d in _deliveries(rt, "incident_card")} == {
        (SERVICE, "withdrawn"), (PR, "withdrawn"), (CRISIS, "sent")}


def test_a_rise_after_the_card_patches_it_and_posts_one_card_in_the_new_chat(rt, client, feishu, clock):
    iid = _open(rt, "一般")
    run_worker(rt, client, clock, seconds=31)
    [pr_card] = feishu.in_chat(PR)
    _change(rt, iid, ChangeKind.GRADE_UP, items=4, grade="重大")
    run_worker(rt, client, clock)
    assert len(feishu.in_chat(CRISIS)) == 1 and len(feishu.in_chat(PR)) == 1
    assert "重大" in json.dumps(pr_card.current, ensure_ascii=False)  # patched in place
    assert feishu.in_chat(SERVICE) == []


def test_a_card_queued_for_a_chat_the_grade_left_is_withdrawn_at_send_time(rt, client, feishu, clock):
    iid = _open(rt, "一般")
    with rt.sessions() as s, s.begin():  # the grade changed without telling alerting (a stale queue)
        s.get(Incident, iid).grade = "轻微"
    run_worker(rt, client, clock, seconds=31)
    assert feishu.posts() == []
    [row] = _deliveries(rt, "incident_card")
    assert row.status == "withdrawn" and "轻微" in row.last_error


# -- silences ---------------------------------------------------------------------------------------------
def test_a_silence_holds_back_every_kind_and_its_end_releases_one_card(rt, client, feishu, clock):
    start = clock.now()
    with rt.sessions() as s, s.begin():
        silence = create_silence(s, Matcher.BRAND, "星河消费金融", timedelta(hours=3), LEAD, start)
    iid = _open(rt, "一般")
    _change(rt, iid, ChangeKind.GRADE_UP, items=3, grade="重大")
    _change(rt, iid, ChangeKind.ITEMS_ADDED, items=4)
    for minute in (16, 27, 40, 70, 100, 121, 135, 170):  # escalation steps, reminders and follow-ups fall due meanwhile
        clock._now = start + timedelta(minutes=minute)
        run_escalations(rt)
        remind_due(rt)
        run_follow_ups(rt)
        run_worker(rt, client, clock)
    assert feishu.messages == [] and feishu.urgents == []
    with rt.sessions() as s:
        held = {h.kind: h.count for h in s.scalars(select(SilenceHold).where(SilenceHold.silence_id == silence.id))}
        escalated = s.scalars(select(IncidentEvent.text).where(IncidentEvent.kind == "escalated")).all()
    assert held["incident_card"] >= 2 and held["escalation"] == len(escalated) >= 3
    assert all(f"屏蔽 #{silence.id} 生效中，未发送" in t for t in escalated)

    chat = ChatOps(rt)  # /silences shows what it held back
    reply = chat.dispatcher.handle_message(parse_event(message_event("/silences", LEAD, CRISIS)), deliver=False)
    assert f"#{silence.id} 品牌「星河消费金融」" in reply.text and "告警卡片" in reply.text and f"升级提醒 {len(escalated)} 条" in reply.text

    clock._now = start + timedelta(hours=3, minutes=1)
    assert release_silences(rt) == 1
    assert release_silences(rt) == 0  # once
    run_escalations(rt)
    remind_due(rt)
    run_worker(rt, client, clock)
    [card] = feishu.posts()
    assert card.chat_id == CRISIS and [m for m in feishu.messages if m.root_id] == []  # nothing stale replayed


def test_an_incident_acknowledged_during_the_silence_gets_nothing_when_it_ends(rt, client, feishu, clock):
    start = clock.now()
    with rt.sessions() as s, s.begin():
        create_silence(s, Matcher.GRADE, "一般", timedelta(minutes=30), LEAD, start)
    iid = _open(rt, "一般")
    with rt.sessions() as s, s.begin():
        inc = s.get(Incident, iid)
        inc.state, inc.acknowledged_at, inc.acknowledged_by, inc.owner = "acknowledged", start, ON_CALL, ON_CALL
    clock.advance(minutes=31)
    assert release_silences(rt) == 0
    run_worker(rt, client, clock)
    assert feishu.messages == []


# -- untrusted text stays text, in every kind ----------------------------------------------------------------
def _bots(feishu):
    """What the bot sent (the members' own messages in the test are sent with uuids "user-…")."""
    return [m for m in feishu.messages if not (m.uuid or "").startswith("user-")]


def _all_mentions(feishu) -> set[str]:
    return {who for m in _bots(feishu) for who in m.mentions} | {who for _, _, ids in feishu.urgents for who in ids}


def test_an_injected_title_pings_nobody_through_any_kind(rt, client, feishu, clock):
    start = clock.now()
    iid = _open(rt, "重大", title=INJECTED, items=2, brand="青橙分期")  # cards in two chats: notes are relayed
    run_worker(rt, client, clock, seconds=31)  # the card
    _change(rt, iid, ChangeKind.ITEMS_ADDED, items=3, title=INJECTED)  # update + thread notice
    chat = ChatOps(rt)
    asked = []
    for who, text in ((ON_CALL, f"/note {iid} 用户说 <at user_id=\"all\"></at> 大家来看"), (LEAD, f"/incident {iid}"),
                      (LEAD, "/status"), (LEAD, f"/report {iid}")):
        sent = client.send(CRISIS, "text", {"text": text}, f"user-{len(asked)}")  # the member's own message
        event = parse_event(message_event(text, who, CRISIS, message_id=sent.message_id))
        asked.append(chat.dispatcher.handle_message(event))
    clock._now = start + timedelta(minutes=16)
    run_escalations(rt)  # escalation ping + urgent
    clock._now = start + timedelta(minutes=70)
    with rt.sessions() as s, s.begin():
        _items(s, s.get(Incident, iid), 2, clock.now(), INJECTED)
    run_follow_ups(rt)
    remind_due(rt)
    assert send_digest(rt) is not None
    run_worker(rt, client, clock, rounds=3, seconds=5)

    kinds = {d.kind for d in _deliveries(rt) if d.status == "sent"}
    assert {"incident_card", "card_update", "thread_notice", "note_relay", "command_reply", "escalation", "urgent",
            "follow_up", "reminder", "digest"} <= kinds, kinds
    assert _all_mentions(feishu) <= {ON_CALL, LEAD} and ON_CALL in _all_mentions(feishu)
    wire = json.dumps([m.current for m in _bots(feishu)], ensure_ascii=False)
    assert "&lt;at" not in wire and 'user_id=\\"all\\"></at>' not in wire and "<at id=all>" not in wire
    assert "<at id=ou_evil>" not in wire


def test_only_the_pipeline_writes_the_outbox():
    """No module but bot/alerting/pipeline.py makes a Delivery row or calls an enqueue."""
    writers = []
    for path in [*REPO.glob("bot/**/*.py"), *REPO.glob("jobs/**/*.py"), *REPO.glob("handlers/**/*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                if name in ("Delivery", "enqueue", "enqueue_once"):
                    writers.append(str(Path(path).relative_to(REPO)))
    assert set(writers) == {"bot/alerting/pipeline.py"}


# -- follow-ups say only what is new ---------------------------------------------------------------------------
def test_no_thread_reply_right_after_the_first_card(rt, client, feishu, clock):
    iid = _open(rt, "重大", items=3)
    run_worker(rt, client, clock, seconds=31)
    for _ in range(3):  # the follow-up tick and the reminders run at start-up and soon after
        run_follow_ups(rt)
        remind_due(rt)
        run_worker(rt, client, clock, seconds=20)
    assert len(feishu.posts()) == 1 and [m for m in feishu.messages if m.root_id] == []
    with rt.sessions() as s, s.begin():
        _items(s, s.get(Incident, iid), 1, clock.now())
    clock.advance(minutes=2)  # a new item after the card, past group_interval: now it is news
    run_follow_ups(rt)
    run_worker(rt, client, clock)
    [update] = [m for m in feishu.messages if m.root_id]
    assert "新增 1 条" in update.current["text"]
