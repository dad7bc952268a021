"""/drill 违约 and /drill VIP: the new paths drilled through the same alerting path (routing by kind and tier,
owner and manager mentioned, the tier's one-grade raise), kept out of statistics and the risk index."""
import pytest
from sqlalchemy import select

from bot.feishu.events import parse_event
from bot.incidents.digest import load_digest
from bot.models import EntityRisk, Incident
from bot.risk.report import risk_report
from handlers.app import ChatOps
from tests.alerting.conftest import run_worker
from tests.builders.feishu_events import message_event
from tests.customers.test_customer_tiers import CUSTOMERS, RM_WANG, VIP_CHAT
from tests.watchlists.conftest import CONFIG, CREDIT, RM, client  # noqa: F401 (fixture)

LEAD = "ou_zhang"


@pytest.fixture
def rt(make_runtime, feishu):
    alerting = {**CONFIG["alerting"], "chats": {**CONFIG["alerting"]["chats"], "vip": VIP_CHAT, "partner": "oc_p"}}
    return make_runtime({**CONFIG, **CUSTOMERS, "alerting": alerting, "feishu": {"domain": feishu.url, "timeout": 1},
                         "team": {"members": [{"open_id": LEAD, "name": "张三", "role": "lead"}]}})


def drill(rt, text: str):
    return ChatOps(rt).dispatcher.handle_message(parse_event(message_event(text, LEAD)), deliver=False)


def test_a_borrower_default_drill_goes_to_the_credit_chat_with_the_owner(rt, client, feishu, clock):
    assert drill(rt, "/drill 违约").text.startswith("🎯 演练 #1（重大）已开始")
    run_worker(rt, client, clock, seconds=30)
    [card] = feishu.in_chat(CREDIT)
    assert card.content["header"]["title"]["content"].startswith("【演练】【重大】恒远集团（借款企业 · 重点）")
    assert RM in card.mentions and "违约" in card.text
    with rt.sessions() as s:
        inc = s.get(Incident, 1)
        assert inc.is_drill and inc.brand == "恒远集团"
        entity = rt.config.watchlist.entity("恒远集团")
        assert risk_report(s, rt.config, entity, 1, clock.now()).today["volume"] == 0  # drills never count
        assert s.scalars(select(EntityRisk)).all()  # (the window was still written)


def test_a_vip_complaint_drill_is_raised_one_grade_and_reaches_the_vip_chat(rt, client, feishu, clock):
    drill(rt, "/演练 VIP 张伟")
    run_worker(rt, client, clock, seconds=30)
    [card] = feishu.in_chat(VIP_CHAT)
    assert card.content["header"]["title"]["content"].startswith("【演练】【重大】星河消费金融")
    assert RM_WANG in card.mentions and "VIP 客户相关（张伟）：等级上调一级 → 重大" in card.text
    with rt.sessions() as s:
        assert load_digest(s, rt.config, clock.now()).customers == []  # drills stay out of the digest


@pytest.mark.parametrize("text, answer", [
    ("/drill 违约 无名公司", "没有名为「无名公司」的借款企业"),
    ("/drill VIP 李四", "没有名为「李四」的 VIP 客户"),
    ("/drill 重大 多余", "多余的参数「多余」"),
    ("/drill 特大", "级别「特大」不对"),
])
def test_drill_mistakes_are_answered(rt, text, answer):
    assert answer in drill(rt, text).text
