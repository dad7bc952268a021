"""Customer tiers through the real pipeline: a post by or about a VIP raises the incident one grade with the
reason on the card, mentions the relationship manager and also goes to the tier's chat; the digest lists
customer incidents first."""
import pytest
from sqlalchemy import select

from bot.cards.digest import render_digest_card
from bot.config import ConfigError, parse_config
from bot.grades import Grade
from bot.incidents.digest import load_digest
from bot.models import Incident
from tests.alerting.conftest import run_worker
from tests.watchlists.conftest import CONFIG, CRISIS, SERVICE, client, push  # noqa: F401 (fixture)

VIP_CHAT, PARTNER_CHAT, RM_WANG, BD = "oc_vip_service", "oc_partner", "ou_rm_wang", "ou_bd_zhao"
CUSTOMERS = {
    "customers": [
        {"name": "张伟", "tier": "vip", "handles": ["张伟的生活号"], "accounts": ["6222021234"], "manager": RM_WANG},
        {"name": "云顶科技", "tier": "important_partner", "handles": ["云顶"], "manager": BD},
    ],
    "customer_tiers": {"vip": {"raise_grade": True, "chat": "vip"}, "important_partner": {"chat": "partner"}},
}
COMPLAINT = "星河消费金融暴力催收，爆通讯录骚扰家人，投诉无门"


@pytest.fixture
def rt(make_runtime, feishu):
    alerting = {**CONFIG["alerting"], "chats": {**CONFIG["alerting"]["chats"], "vip": VIP_CHAT,
                                                "partner": PARTNER_CHAT}}
    return make_runtime({**CONFIG, **CUSTOMERS, "alerting": alerting,
                         "feishu": {"domain": feishu.url, "timeout": 1}})


def only_incident(rt) -> Incident:
    with rt.sessions() as s:
        [inc] = s.scalars(select(Incident)).all()
        return inc


def test_an_ordinary_post_is_graded_on_heat_alone(rt, client, feishu, clock):
    push(rt, COMPLAINT, author="路人甲", reposts=10)
    inc = only_incident(rt)
    assert inc.customer is None and inc.grade == "轻微"
    run_worker(rt, client, clock, seconds=30)
    assert [m.chat_id for m in feishu.posts()] == [SERVICE]


def test_a_post_by_a_vip_raises_one_grade_mentions_the_manager_and_reaches_the_vip_chat(rt, client, feishu, clock):
    push(rt, COMPLAINT, author="张伟的生活号", reposts=10)
    inc = only_incident(rt)
    assert (inc.customer, inc.customer_tier, inc.grade) == ("张伟", "vip", "一般")
    assert inc.reasons[-1] == "VIP 客户相关（张伟）：等级上调一级 → 一般"
    run_worker(rt, client, clock, seconds=30)
    chats = {m.chat_id: m for m in feishu.posts()}
    assert set(chats) == {CRISIS, VIP_CHAT}  # 一般 routes by default to crisis; the tier adds its chat
    assert RM_WANG in chats[VIP_CHAT].mentions and "VIP 客户相关（张伟）" in chats[VIP_CHAT].text


def test_an_account_id_in_the_text_counts_only_standing_alone(rt):
    push(rt, "卡号136222021234被星河消费金融重复扣款，客服推诿", reposts=10)
    assert only_incident(rt).customer is None
    push(rt, "卡号 6222021234 被星河消费金融重复扣款，客服推诿", reposts=10)
    assert only_incident(rt).customer == "张伟"


def test_a_partner_goes_to_its_chat_without_a_raise_and_the_digest_lists_vip_first(rt, client, feishu, clock):
    push(rt, "云顶投诉星河消费金融重复扣款，客服推诿不处理", author="某用户", reposts=10)
    push(rt, COMPLAINT, author="张伟的生活号", reposts=10)
    with rt.sessions() as s:
        incs = {i.customer: i for i in s.scalars(select(Incident))}
        digest = load_digest(s, rt.config, clock.now())
    assert incs["云顶科技"].grade == "轻微" and incs["张伟"].grade == "一般"
    assert [c.customer for c in digest.customers] == ["张伟", "云顶科技"]
    run_worker(rt, client, clock, seconds=30)
    [partner_card] = feishu.in_chat(PARTNER_CHAT)
    assert "【轻微】" in partner_card.content["header"]["title"]["content"] and BD in partner_card.mentions
    first = render_digest_card(digest)["body"]["elements"][:2]
    assert "重要客户相关 2 起" in first[0]["content"]
    assert first[1]["text"]["content"].splitlines()[0].startswith(f"#{incs['张伟'].id}【一般】VIP 客户 张伟")


@pytest.mark.parametrize("data, path, reason", [
    ({"customers": [{"name": "A", "tier": "gold"}]}, "customers[0].tier", "vip"),
    ({"customers": [{"name": "A", "manager": "王"}]}, "customers[0].manager", "open_id"),
    ({"customers": [{"name": "A", "handles": ["x"]}, {"name": "B", "accounts": ["x"]}]}, "customers[1]", "also names"),
    ({"customer_tiers": {"gold": {}}}, "customer_tiers.gold", "unknown tier"),
    ({"customer_tiers": {"vip": {"chat": "nowhere"}}}, "customer_tiers.vip.chat", "not defined"),
])
def test_customer_config_mistakes_name_their_path(data, path, reason):
    with pytest.raises(ConfigError) as err:
        parse_config(data)
    assert any(p == path and reason in r for p, r in err.value.problems), err.value.problems


def test_the_grade_steps_are_the_enum_order():
    assert list(Grade) == [Grade.MINOR, Grade.MODERATE, Grade.MAJOR]


def test_a_partner_joining_an_alerted_incident_brings_its_card_to_the_partner_chat(rt, client, feishu, clock):
    push(rt, "某用户投诉星河消费金融重复扣款，客服推诿不处理", author="路人甲", reposts=10)
    run_worker(rt, client, clock, seconds=30)
    assert [m.chat_id for m in feishu.posts()] == [SERVICE]
    push(rt, "云顶也投诉星河消费金融重复扣款，客服推诿", author="某员工", reposts=1)
    inc = only_incident(rt)
    assert (inc.customer, inc.grade) == ("云顶科技", "轻微")  # no raise for this tier, the same incident
    run_worker(rt, client, clock, seconds=2)
    [card] = feishu.in_chat(PARTNER_CHAT)
    assert BD in card.mentions and len(feishu.in_chat(SERVICE)) == 1
