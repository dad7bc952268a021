import pytest

from bot.analysis.pipeline import Document


@pytest.mark.parametrize("text, brands", [
    ("安逸花又在催收", ["安逸花"]),
    ("马上消费金融公告", ["安逸花"]),            # alias names the brand
    ("小区叫安逸花园，环境不错", []),            # exclusion context in the same clause
    ("安逸花园附近，安逸花客服打来电话", ["安逸花"]),  # another clause still counts
    ("360借条利息太高", ["360借条"]),
    ("电话13600001111", []),                    # a digit alias must stand alone
    ("360 公司招聘催收员", []),
    ("众车在线跑路了", ["众车在线"]),            # longest name wins, 众车 inside it is not a hit
    ("众车在线和众车都出事了", ["众车在线", "众车"]),
    ("今天天气很好", []),
])
def test_brand_matching(analyzer, text, brands):
    result = analyzer.analyze(Document(id="x", title="", text=text))
    assert [b.name for b in result.brands] == brands
    assert result.relevant is bool(brands)


def test_brands_override_looks_only_for_the_given_names(analyzer):
    doc = Document(id="x", title="", text="安逸花和小资钱包都在催收", brands=("小资钱包",))
    assert [b.name for b in analyzer.analyze(doc).brands] == ["小资钱包"]


def test_negative_is_about_the_brand_near_the_risk_words(analyzer):
    text = "安逸花暴力催收，爆通讯录，逼得人走投无路。" + "行业新闻很多。" * 20 + "另外，众车在线最近上线了新功能。"
    hits = {b.name: b.negative for b in analyzer.analyze(Document(id="x", title="", text=text)).brands}
    assert hits == {"安逸花": True, "众车在线": False}
