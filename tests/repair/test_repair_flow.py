"""Trust repair tracked to the end, through the real pipeline: items pushed, the statement and /repair from the
chat, the tick posting each window and asking once for the 补充调查报告 in the card's thread (real lark-oapi
client against the fake Feishu), and the review's closing section with its chart."""
import pytest
from sqlalchemy import select

from bot.feishu.events import parse_event
from bot.incidents.review import load_review, render_review_md
from bot.models import Incident, IncidentEvent
from bot.cards.review import render_review_card
from handlers.app import ChatOps
from jobs.deliver import deliver_due
from jobs.repair import run_repair
from tests.builders.feishu_events import message_event
from tests.watchlists.conftest import CONFIG, CRISIS, client, push  # noqa: F401 (fixture)

LEAD = "ou_zhang"
ANGRY = ["星河消费金融暴力催收，爆通讯录骚扰家人{}", "星河分期催收电话一天打几十个，恐吓威胁{}"]


@pytest.fixture
def rt(make_runtime, feishu):
    return make_runtime({**CONFIG, "feishu": {"domain": feishu.url, "timeout": 1},
                         "alerting": {**CONFIG["alerting"], "routes": {"default": ["crisis"]}},
                         "team": {"members": [{"open_id": LEAD, "name": "张三", "role": "lead"}]}})


def angry(rt, n: int, tag: str) -> None:
    push(rt, *[ANGRY[i % 2].format(f"（{tag}{i}）") for i in range(n)])


def say(rt, chat, client, text: str):
    typed = client.send(CRISIS, "text", {"text": text}, f"u-{abs(hash(text))}").message_id
    return chat.dispatcher.handle_message(parse_event(message_event(text, LEAD, chat_id=CRISIS, message_id=typed)))


def drain(rt, client, clock) -> None:
    """Deliver what is due, letting the per-chat rate budget refill between rounds."""
    for _ in range(5):
        deliver_due(rt, client)
        clock.advance(seconds=2)


def incident(rt) -> Incident:
    with rt.sessions() as s:
        return s.scalars(select(Incident).order_by(Incident.id)).first()


def thread(feishu, card_id: str) -> list[str]:
    return [m.content.get("text", "") for m in feishu.replies_to(card_id)]


def test_doubts_after_24h_ask_for_the_report_and_the_review_closes_with_the_repair(rt, client, feishu, clock):
    angry(rt, 8, "前")
    deliver_due(rt, client)
    clock.advance(seconds=31)
    deliver_due(rt, client)
    [card] = feishu.in_chat(CRISIS)
    iid = incident(rt).id
    chat = ChatOps(rt)
    say(rt, chat, client, f"/ack {iid}")
    clock.advance(hours=2)
    assert say(rt, chat, client, f"/statement {iid} https://xinghe.example.com/statement").text == f"#{iid} 已记录声明"
    clock.advance(hours=3)
    angry(rt, 6, "后")  # the first 24 h after: still all negative
    assert run_repair(rt) == 0  # the first window is still open
    clock.advance(hours=22)
    assert run_repair(rt) == 2  # the first window's summary and the ask
    assert run_repair(rt) == 0  # once
    drain(rt, client, clock)
    first, ask = thread(feishu, card.message_id)[-2:]
    assert first.startswith(f"🤝 信任修复 #{iid} · 声明后 24 小时：6 条，负面 100%（声明前 24 小时：8 条，负面 100%）")
    assert "新增投诉：" in first and "（后" in first
    assert "补充调查报告" in ask and f"/repair {iid} 补充调查报告" in ask
    assert feishu.replies_to(card.message_id)[-1].mentions == [LEAD]  # the one who took it (else on call)
    assert say(rt, chat, client, f"/repair {iid} 用户关怀计划：逐一回访投诉用户").text == f"#{iid} 已记录修复行动"
    clock.advance(hours=30)
    assert say(rt, chat, client, f"/修复 {iid} 补充调查报告 https://xinghe.example.com/report").text == \
        f"#{iid} 已记录补充调查报告"
    clock.advance(days=2)
    push(rt, "星河消费金融催收还是有骚扰（余波）")
    clock.advance(days=25)  # 29.3 days after the statement: the horizon (1 day + 4 weeks) is over
    assert run_repair(rt) == 4  # weeks 1 to 4
    assert run_repair(rt) == 0
    with rt.sessions() as s:
        kinds = [e.kind for e in s.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == iid)
                                           .order_by(IncidentEvent.id))]
        review = load_review(s, rt.config, iid, clock.now())
    assert kinds.count("repair") == 2 and kinds.count("repair_ask") == 1
    r = review.repair
    assert [w.volume for w in r.windows] == [8, 6, 1, 0, 0, 0]
    assert r.doubts is True and r.report_at is not None and r.report_at <= r.report_due_at
    assert r.calm_week == 1 and r.verdict == "第 1 周起平息（4 周内）"
    md = render_review_md(review)
    assert "## 信任修复" in md and "用户关怀计划：逐一回访投诉用户" in md and "第 1 周起平息" in md
    assert md.index("## 信任修复") > md.index("## 经验教训")
    card_json = render_review_card(review)
    charts = [e for e in card_json["body"]["elements"] if e["tag"] == "chart"]
    assert charts[-1]["chart_spec"]["title"]["text"] == "声明前后：负面声量与占比"
    assert len(charts[-1]["chart_spec"]["data"][0]["values"]) == 12


def test_a_statement_that_works_asks_for_nothing_and_a_story_that_goes_on_is_not_calm(rt, client, feishu, clock):
    angry(rt, 8, "前")
    iid = incident(rt).id
    chat = ChatOps(rt)
    clock.advance(hours=1)
    feishu_msg = client.send(CRISIS, "text", {"text": "x"}, "u-x").message_id
    chat.dispatcher.handle_message(parse_event(message_event(f"/statement {iid} 已致歉", LEAD, chat_id=CRISIS,
                                                             message_id=feishu_msg)))
    clock.advance(hours=3)
    push(rt, "星河消费金融致歉并退还费用，用户表示满意", "星河消费金融回应及时，点赞")
    clock.advance(hours=22)
    run_repair(rt)
    with rt.sessions() as s:
        assert s.scalars(select(IncidentEvent).where(IncidentEvent.kind == "repair_ask")).all() == []
    for week in range(4):
        clock.advance(days=7)
        angry(rt, 8, f"周{week}")  # 8 a week: above 10 % of the 8 a day before the statement
    clock.advance(days=1)
    run_repair(rt)
    with rt.sessions() as s:
        r = load_review(s, rt.config, iid, clock.now()).repair
    assert (r.first.volume, r.first.negative) == (2, 0)  # thanks and praise, with no risk topic, count
    assert r.doubts is False and r.calm_week is None and r.verdict == "4 周内未平息"
