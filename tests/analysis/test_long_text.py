"""A huge text is analysed from its first MAX_TEXT_CHARS characters: a 2 MB paste gives the same analysis as its
head, and the brand-to-risk-word proximity is a lookup per word, not a scan of every pair."""
from bot.analysis.pipeline import MAX_TEXT_CHARS, Document, _near

CHUNK = "安逸花暴力催收，用户投诉不断，360借条也被点名。"


def test_a_two_megabyte_text_is_analysed_from_its_head(analyzer):
    huge = (CHUNK * (2_000_000 // len(CHUNK) + 1))[:2_000_000]
    whole = analyzer.analyze(Document("big", "标题", huge))
    head = analyzer.analyze(Document("big", "标题", huge[:MAX_TEXT_CHARS]))
    assert whole == head
    assert {h.name for h in whole.brands} == {"安逸花", "360借条"}


def test_near_matches_the_pairwise_definition():
    starts, points = [0, 5, 40, 100, 161, 300], sorted([30, 150, 299])
    pairwise = [s for s in starts if any(abs(s - p) <= 10 for p in points)]
    assert _near(starts, points, 10) == pairwise == [40, 300]
    assert _near(starts, [], 10) == []


def test_exclusions_are_judged_per_clause_in_one_pass():
    from bot.analysis.brands import Brand, BrandMatcher

    m = BrandMatcher([Brand("安逸花", exclude=("安逸花园",))])
    text = "安逸花园小区，安逸花催收。安逸花园安逸花"
    assert [(x.start, x.end) for x in m.mentions(text)] == [(7, 10)]  # the middle clause only
    long_clause = "安逸花" * 50_000  # one clause, many hits: the clause is searched once
    assert len(m.mentions(long_clause)) == 50_000
    assert m.mentions("安逸花园" + "安逸花" * 1000) == []
