"""Watched entities end to end: matched like brands, read for company risk topics, routed by kind, shown with
their kind and owner on the card (real lark-oapi client against the fake Feishu)."""
from sqlalchemy import select

from bot.models import Incident, Item
from tests.alerting.conftest import run_worker
from tests.watchlists.conftest import CREDIT, CRISIS, LEGAL, PR, PR_HEAD, RM, SERVICE, push


def incidents(rt) -> list[Incident]:
    with rt.sessions() as s:
        return list(s.scalars(select(Incident).order_by(Incident.id)))


def test_a_borrower_default_goes_to_the_credit_risk_chat_with_its_kind_and_owner(wrt, client, feishu, clock):
    push(wrt, "恒远集团债务违约，多笔贷款逾期未还，公司已被列为被执行人")
    [inc] = incidents(wrt)
    assert inc.brand == "恒远集团" and inc.grade is not None
    assert inc.event_key in ("违约", "逾期", "被执行")  # a company topic names the event
    assert {t["name"] for t in inc.topics} <= {"违约", "逾期", "被执行", "失信"}
    run_worker(wrt, client, clock, seconds=30)
    [card] = feishu.posts()
    assert card.chat_id == CREDIT
    assert card.content["header"]["title"]["content"].startswith(f"【{inc.grade}】恒远集团（借款企业 · 重点）")
    assert "关注对象** 恒远集团 · 借款企业" in card.text
    assert RM in card.mentions


def test_an_alias_finds_the_entity_and_an_exclusion_rules_it_out(wrt):
    push(wrt, "恒远地产项目全面停工停产，工人讨薪", "恒远集团足球队昨晚输球，球迷称球队要破产重整")
    [inc] = incidents(wrt)
    assert inc.brand == "恒远集团" and inc.event_key in ("停工停产", "欠薪")
    with wrt.sessions() as s:
        football = s.scalar(select(Item).where(Item.title.like("%足球队%")))
        assert football.brands == [] and football.incident_id is None


def test_a_negated_company_topic_does_not_count(wrt):
    push(wrt, "云帆支付澄清：公司不存在违约，也没有欠薪")
    with wrt.sessions() as s:
        item = s.scalars(select(Item)).one()
    assert [b["name"] for b in item.brands] == ["云帆支付"]
    assert not {"违约", "欠薪"} & {t["name"] for t in item.topics}


def test_an_executive_goes_to_pr_and_legal_and_the_own_brand_keeps_its_route(wrt, client, feishu, clock):
    push(wrt, "王建国涉嫌违法被立案调查，已被带走协助调查")
    push(wrt, "星河消费金融暴力催收，爆通讯录骚扰家人，投诉无门")
    run_worker(wrt, client, clock, seconds=30)
    by_title = {m.content["header"]["title"]["content"]: m for m in feishu.posts()}
    exec_cards = [m for t, m in by_title.items() if "王建国（高管）" in t]
    assert sorted(m.chat_id for m in feishu.posts() if "王建国" in m.content["header"]["title"]["content"]) == \
        sorted([PR, LEGAL])
    assert all(PR_HEAD in m.mentions for m in exec_cards)
    own = [m for m in feishu.posts() if "星河消费金融 · 舆情告警" in m.content["header"]["title"]["content"]]
    assert own and {m.chat_id for m in own} <= {CRISIS, SERVICE}
    assert "关注对象" not in own[0].text


def test_consumer_items_are_read_as_before(wrt):
    push(wrt, "星河分期逾期两天就爆通讯录，暴力催收")
    [inc] = incidents(wrt)
    assert inc.brand == "星河消费金融" and inc.event_key == "催收"
