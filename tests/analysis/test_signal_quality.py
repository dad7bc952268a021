"""Signal quality on the complaint language of consumer lending: each error class with texts written here."""
from datetime import datetime, timedelta, timezone

import pytest

from bot.analysis.brands import Brand, BrandMatcher, default_organisations
from bot.analysis.clustering import ClusterItem, MemoryIncidentStore, assign
from bot.analysis.grading import grade_incident
from bot.analysis.offline import OfflineRun
from bot.analysis.pipeline import Analyzer, Document
from bot.analysis.simhash import distance
from bot.analysis.textform import normalise
from bot.config.analysis import AnalysisConfig, BrandSpec, ClusteringConfig, GradingConfig
from bot.grades import Grade

T0 = datetime(2025, 3, 1, 8, tzinfo=timezone.utc)
BRANDS = [
    BrandSpec(name="星河消费金融", aliases=["星河消金", "星河金融"]),
    BrandSpec(name="中银消费金融", aliases=["中银消金"]),
    BrandSpec(name="中国银行"),
    BrandSpec(name="信也", aliases=["信*飞"]),
    BrandSpec(name="招商银行", aliases=["招商"], exclude=["招商引资", "招商会"]),
    BrandSpec(name="中信消费金融", aliases=["中信"]),
    BrandSpec(name="美团借钱", aliases=["美团"]),
]
GRADING = GradingConfig(source_tiers={"新华社": "state_media"})


@pytest.fixture(scope="module")
def qa() -> Analyzer:
    return Analyzer.from_config(BRANDS, AnalysisConfig(grading=GRADING))


def doc(text: str, title: str = "", **kw) -> Document:
    return Document(id=kw.pop("id", "x"), title=title, text=text, **kw)


def negative(qa: Analyzer, text: str, **kw) -> bool:
    return qa.analyze(doc(text, **kw)).negative


# 1. normalisation ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, canonical", [
    ("星河消費金融暴力催收", "星河消费金融暴力催收"),        # traditional → simplified
    ("ＡＰＰ閃退，還款失敗", "app闪退,还款失败"),             # full-width → half-width, traditional
    ("星\u200b河\u200d消费金融", "星河消费金融"),              # zero-width characters
    ("中(zhong)银消金", "中银消金"),                          # injected pinyin
    ("中（zhōng）银消金", "中银消金"),
    ("星·河消费金融", "星河消费金融"),                        # injected separators
    ("星 河 消 费 金 融", "星河消费金融"),
    ("标题\n正文", "标题\n正文"),                             # line breaks still end clauses
    ("信*飞", "信*飞"),                                       # masking stars survive for wildcard aliases
])
def test_normalise(raw, canonical):
    assert normalise(raw) == canonical


@pytest.mark.parametrize("text", [
    "星河消費金融暴力催收，爆通訊錄",
    "星·河消费金融暴力催收，爆通讯录",
    "星\u200b河消费金融暴力催收，爆通讯录",
    "星河消費金融ＡＰＰ閃退，還款一直失敗",
])
def test_brands_and_risk_words_match_whatever_the_script(qa, text):
    a = qa.analyze(doc(text))
    assert [b.name for b in a.brands] == ["星河消费金融"]
    assert a.negative and a.brands[0].negative
    assert a.topics


STORY = ("星河消费金融被曝暴力催收，多名借款人称催收人员频繁骚扰亲友，甚至威胁上门，"
         "有用户表示借款到账后被划走高额会员费，客服电话一直打不通。")
STORY_TRAD = ("星河消費金融被曝暴力催收，多名借款人稱催收人員頻繁騷擾親友，甚至威脅上門，"
              "有用戶表示借款到賬後被劃走高額會員費，客服電話一直打不通。")


def test_traditional_copy_has_the_same_simhash_and_joins_the_incident(qa):
    simplified, traditional = qa.analyze(doc(STORY)), qa.analyze(doc(STORY_TRAD))
    assert distance(simplified.simhash, traditional.simhash) <= 3
    assert simplified.event_key == traditional.event_key
    run = OfflineRun(qa)
    first = run.process(doc(STORY, id="s", published_at=T0, source="news"))
    copy = run.process(doc(STORY_TRAD, id="t", published_at=T0 + timedelta(hours=1), source="hk-news"))
    assert first["incident"] == copy["incident"] is not None


def test_analysis_does_not_change_the_text_cards_show(qa):
    d = doc("星河消費金融ＡＰＰ閃退")
    qa.analyze(d)
    assert d.text == "星河消費金融ＡＰＰ閃退"


# 2. lexicon and topics for consumer lending now ------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "星河消费金融打了三次客服电话都没人接",                                   # acceptance: service
    "星河消费金融的app一直闪退，根本打不开",                                 # acceptance: outage
    "星河消费金融还款一直失败，怎么弄都不行",
    "星河消费金融系统故障无法还款，明天就要算逾期了",
    "星河消费金融借款到账后凌晨被划走900元会员费",                          # fees and deductions
    "在星河消费金融借了一万，强制搭售权益包，说好的能退现在不退",
    "星河消费金融未经同意开通会员，私自扣费三百元",
    "星河消费金融收的担保费加服务费，综合年化超过36%",
    "星河消费金融催收打电话骚扰亲友，还威胁要去单位",                        # collection
    "星河消费金融客服推诿，说找不到负责的人，问题一直无人处理",              # service
    "想在星河消费金融注销账户，结果无法注销",
    "我的身份被冒用，在星河消费金融被贷款了两万",                            # identity
    "星河消费金融真垃圾，太坑了",                                            # colloquial
    "星河消费金融吃相难看，客服说话不过脑子",
    "星河消费金融这操作太过分了，恶心",
    "星河消费金融这个平台真的太差劲了，再也不用了",
    "星河消费金融客服一问三不知，爱答不理",
])
def test_complaints_of_today_are_negative(qa, text):
    a = qa.analyze(doc(text))
    assert a.negative, text
    assert a.brands[0].negative


def test_fee_topic_evidence_and_the_decision_agree(qa):
    a = qa.analyze(doc("星河消费金融的会员费不退，客服也不管"))
    assert "利率与费用" in {t.name for t in a.topics}
    assert a.negative


@pytest.mark.parametrize("text", [
    "星河消费金融下调年化利率，取消会员费",
    "星河消费金融客服态度很好，耐心解答了我的问题",
    "星河消费金融发布2024年度报告，营收稳步增长",
])
def test_neutral_and_positive_lender_news_is_not_negative(qa, text):
    assert not negative(qa, text)


# 3. precision rules ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, is_negative", [
    ("我在中国银行的信用卡逾期快一年了，想问问怎么协商", False),            # the borrower's own 逾期
    ("本人在星河消费金融的借款逾期了三个月，还不上了", False),
    ("星河消费金融系统故障导致我逾期，还要收罚息", True),                  # the lender is blamed
    ("星河消费金融暴力催收，我逾期一天就爆通讯录", True),
])
def test_own_overdue_is_not_the_lenders_failure(qa, text, is_negative):
    assert negative(qa, text) is is_negative


@pytest.mark.parametrize("text", [
    "若发现星河消费金融存在高利贷、暴力催收等行为，可向当地金融监管部门举报",      # how-to-complain
    "如果遇到暴力催收，可以直接投诉到银保监会",                                    # advice
    "星河消费金融用户如何投诉？教你三步维权",
    "星河消费金融开展防范电信网络诈骗宣传活动，提醒市民谨防以低息贷款、刷单返利为名的各类诈骗套路",
    "反诈课堂：警惕冒充星河消费金融客服以注销账户为由实施诈骗",
])
def test_conditional_advice_and_prevention_text_is_not_negative(qa, text):
    a = qa.analyze(doc(text))
    assert not a.negative, (text, a.risk_words)
    assert a.excused


@pytest.mark.parametrize("text", [
    "星河消费金融：今日凌晨系统故障已修复，向受影响用户致歉并延长还款期三天，不影响征信",
    "星河消费金融官方回应：app闪退问题已修复，还款功能恢复正常",
])
def test_company_statements_and_fixes_are_not_negative(qa, text):
    a = qa.analyze(doc(text))
    assert not a.negative
    assert "公司声明或修复" in a.excused


def test_a_complaint_that_the_fix_did_not_work_is_still_negative(qa):
    assert negative(qa, "星河消费金融说系统已修复，但我还是还款失败")


def test_regulator_named_in_a_how_to_page_lifts_nothing(qa):
    run = OfflineRun(qa)
    out = run.process(doc("星河消费金融用户注意：若遇暴力催收，可拨打银保监会热线12378投诉", published_at=T0))
    assert out["grade"] is None


def test_outage_complaints_and_the_fix_statement_stay_below_major(qa):
    run = OfflineRun(qa)
    outs = [run.process(doc(t, id=str(i), source=f"user{i}", platform="weibo", author=f"u{i}",
                            published_at=T0 + timedelta(minutes=10 * i)))
            for i, t in enumerate(["星河消费金融app闪退，还款一直失败", "星河消费金融系统故障无法还款，急死了",
                                   "星河消费金融还款失败好几次了，app一直闪退"])]
    assert all(o["negative"] for o in outs)
    assert len({o["incident"] for o in outs}) == 1                   # one outage, one incident
    fix = run.process(doc("星河消费金融：系统故障已修复，还款功能恢复正常，向用户致歉并延长还款期", id="fix",
                          source="新华社", platform="news", authority=5.0, published_at=T0 + timedelta(hours=1)))
    assert not fix["negative"]
    assert fix["grade"] != Grade.MAJOR.value
    assert not any("官方媒体" in r for r in fix["reasons"])


# 4. platform prior and the target field --------------------------------------------------------------------

def test_complaint_platform_records_are_complaints_unless_they_praise(qa):
    assert negative(qa, "星河消费金融 借款后被收取权益费，要求说明", platform="complaint")
    assert not negative(qa, "星河消费金融 借款后被收取权益费，要求说明", platform="news")
    assert not negative(qa, "感谢星河消费金融客服耐心解答，非常满意", platform="complaint")


def test_target_field_names_the_brand(qa):
    a = qa.analyze(doc("借款后每月被扣一笔费用，要求退还", platform="complaint", target="星河消金"))
    assert [(b.name, b.negative) for b in a.brands] == [("星河消费金融", True)]
    unknown = qa.analyze(doc("借款后每月被扣一笔费用，要求退还", platform="complaint", target="某某小贷"))
    assert not unknown.brands


# 5. brand matching an admin can trust ----------------------------------------------------------------------

@pytest.mark.parametrize("text, brands", [
    ("信*飞私自扣费", ["信也"]),                                  # masked name on a complaint site
    ("信**飞 又来催收", ["信也"]),
    ("信用卡飞了", []),
    ("中(zhong)银消金客服态度恶劣", ["中银消费金融"]),             # pinyin injected into the name
    ("中国银行保险监督管理委员会发布通知", []),                   # a bank inside the regulator's name
    ("中國銀行保險監督管理委員會發佈通知", []),
    ("中国银行信用卡中心回应", ["中国银行"]),
    ("招商引资大会召开", []),                                     # short name, context exclusion covering it
    ("招商引资大会上，招商客服被投诉", ["招商银行"]),             # another clause still counts
    ("中信证券发布研报", []),                                     # no match inside a longer organisation name
    ("中信的客服一直打不通", ["中信消费金融"]),
    ("美团中介招聘骑手", []),                                     # a job agency is not the platform
])
def test_brand_matching_rules(qa, text, brands):
    assert [b.name for b in qa.analyze(doc(text)).brands] == brands


def test_explain_says_why_a_candidate_was_dropped():
    matcher = BrandMatcher([Brand("中国银行"), Brand("招商银行", ("招商",), ("招商引资",))], default_organisations())
    found = matcher.explain(normalise("中国银行保险监督管理委员会：招商引资，招商银行"))
    assert [(c.brand, c.accepted) for c in found] == [("中国银行", False), ("招商银行", False), ("招商银行", True)]
    assert "中国银行保险监督管理委员会" in found[0].reason and "招商引资" in found[1].reason


def test_configured_organisations_are_honoured():
    a = Analyzer.from_config(BRANDS, AnalysisConfig(organisations=["星河金融控股集团"]))
    assert not a.analyze(doc("星河金融控股集团召开年会")).brands
    assert [b.name for b in a.analyze(doc("星河金融催收太凶")).brands] == ["星河消费金融"]


# 7. complaint patterns -------------------------------------------------------------------------------------

def _complaints(qa, n, hours, config: GradingConfig, authors=None):
    store = MemoryIncidentStore(config)
    incident = None
    for i in range(n):
        d = doc(f"星河消费金融借款后被扣了会员费{i + 1}百元，要求退还", id=str(i), source="heimao", platform="complaint",
                author=(authors or [f"user{j}" for j in range(n)])[i], published_at=T0 + timedelta(hours=hours * i / n))
        a = qa.analyze(d)
        assert a.negative
        incident, _ = assign(ClusterItem(d.id, a.lead_brand, a.event_key, a.simhash, a.incident_item(d, d.published_at)),
                             store, ClusteringConfig())
    return grade_incident(store.stats(incident, T0 + timedelta(hours=hours)), config)


def test_six_fee_complaints_from_six_customers_are_a_pattern(qa):
    decision = _complaints(qa, 6, 10, GRADING)
    assert decision.grade == Grade.MODERATE
    assert any(r.startswith("投诉模式：12 小时内 6 位用户") for r in decision.reasons)


def test_one_customer_posting_six_times_is_not_a_pattern(qa):
    decision = _complaints(qa, 6, 10, GRADING, authors=["same"] * 6)
    assert decision.grade != Grade.MODERATE
    assert not any("投诉模式" in r for r in decision.reasons)


def test_pattern_threshold_and_window_are_configurable(qa):
    strict = GradingConfig(complaint_pattern={"min_authors": 8, "window_hours": 12})
    assert not any("投诉模式" in r for r in _complaints(qa, 6, 10, strict).reasons)
    narrow = GradingConfig(complaint_pattern={"min_authors": 5, "window_hours": 2})
    assert not any("投诉模式" in r for r in _complaints(qa, 6, 10, narrow).reasons)
    off = GradingConfig(complaint_pattern={"min_authors": 0})
    assert not any("投诉模式" in r for r in _complaints(qa, 6, 10, off).reasons)
