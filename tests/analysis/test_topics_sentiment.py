import pytest

from bot.analysis.pipeline import Document
from bot.analysis.topics import merged_topics


def analyse(analyzer, text):
    return analyzer.analyze(Document(id="x", title="", text=text))


@pytest.mark.parametrize("text, topics", [
    ("安逸花暴力催收还爆通讯录", {"催收": ("暴力催收", "爆通讯录"), "隐私与数据泄露": ("爆通讯录",)}),
    ("收了砍头息和会员费，年化超过36%", {"利率与费用": ("砍头息", "会员费", "年化", "超过36%")}),
    ("APP闪退，还款失败，逾期上征信", {"系统故障/无法还款": ("闪退", "还款失败"), "征信": ("上征信",),
                                       "暴雷/兑付": ("逾期",)}),
    ("我已向金融监管总局和12378投诉", {"监管与诉讼": ("金融监管总局", "12378"), "服务态度": ("投诉",)}),
    ("冒充客服让我注销账户，是诈骗", {"诈骗/冒充": ("冒充客服", "注销账户", "诈骗")}),
    ("平台没有催收，也不会乱收费", {}),            # negated evidence is dropped
    ("谨防套路贷，打击暴力催收", {}),              # so is evidence a warning or a crackdown is about
    ("今天天气很好", {}),
])
def test_topics_carry_their_evidence_words(analyzer, text, topics):
    assert {t.name: t.words for t in analyse(analyzer, text).topics} == topics


def test_configured_topics_replace_add_and_switch_off():
    topics = merged_topics({"催收": ["上门"], "新话题": ["某词"], "征信": []})
    assert topics["催收"] == ["上门"] and topics["新话题"] == ["某词"] and "征信" not in topics
    assert "利率与费用" in topics


@pytest.mark.parametrize("text, negative", [
    ("这家平台没有乱收费，没有催收", False),
    ("这家平台乱收费，天天催收", True),
    ("安逸花暴力催收，爆通讯录，还上了征信，我要投诉", True),
    ("安逸花额度提升了，利息也降了，很满意", False),
    ("小资钱包涉嫌非法集资，警方已立案侦查，平台跑路", True),
    ("马上消费金融发布年度报告，营收稳步增长", False),
    ("小资钱包雷了，血本无归，人去楼空", True),                # collapse in the words victims use
    ("小资钱包限制提现，借新还旧，涉嫌非法吸收公众存款", True),
    ("星河消费金融提醒：防范非法集资，远离套路贷", False),    # a warning, not a report
    ("安逸花被指年化利率超36%，服务费、会员费层层叠加", True),   # a fee complaint
    ("安逸花下调年化利率，取消会员费", False),
])
def test_negative(analyzer, text, negative):
    result = analyse(analyzer, text)
    assert result.negative is negative
    if negative:
        assert result.sentiment < 0.5


def test_negation_raises_sentiment(analyzer):
    plain = analyse(analyzer, "这家平台乱收费，暴力催收").sentiment
    negated = analyse(analyzer, "这家平台没有乱收费，没有暴力催收").sentiment
    assert negated > plain + 0.2


@pytest.mark.parametrize("text, risk_words", [
    ("平台涉嫌非法集资", ("涉嫌", "非法集资")),
    ("请防范非法集资", ()),          # prevention verbs turn risk words around like 没有 does
    ("平台就是套路贷", ("套路贷",)),
    ("谨防套路贷", ()),
    ("风险提示：理财有风险", ()),    # 风险 alone is risk-management talk, not a risk word
])
def test_risk_words_respect_warnings(analyzer, text, risk_words):
    assert analyse(analyzer, text).risk_words == risk_words
