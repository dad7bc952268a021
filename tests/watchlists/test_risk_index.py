"""The risk index formula, part by part (pure)."""
import math

import pytest

from bot.risk.index import DayItem, risk_of_day
from bot.watchlists.severity import severity


def neg(*topics: str, authority: float = 1.0) -> DayItem:
    return DayItem(True, authority, topics)


def test_a_day_without_negative_items_is_zero_however_loud():
    day = risk_of_day([DayItem(False, 5.0, ("违约",))] * 40, [0] * 7, severity)
    assert day.index == 0 and day.volume == 40 and day.negative == 0
    assert day.reasons == ("共 40 条，无负面内容",)


def test_each_part_as_documented():
    items = [neg("违约", "逾期", authority=3.0), neg("欠薪"), DayItem(False, 1.0, ()), DayItem(False, 1.0, ())]
    day = risk_of_day(items, [1, 0, 0, 0, 0, 0, 1], severity)
    v = math.log10(3) / math.log10(51)
    s = 2 / 4
    t = 1.0  # 违约, the most severe topic present
    a = (3.0 - 1) / 4
    b = 2 / 7
    r = (2 - b) / (b + 3)
    assert day.index == pytest.approx(round(100 * (0.25 * v + 0.30 * s + 0.25 * t + 0.10 * a + 0.10 * r), 1))
    assert (day.negative, day.volume, day.severity, day.authority) == (2, 4, 1.0, 0.5)
    assert day.reasons[0] == "负面 2 条 / 共 4 条（50%）" and "违约" in day.reasons[1]


def test_severity_follows_the_company_topics_and_defaults():
    assert severity("破产重整") == 1.0 and severity("环保处罚") == 0.4 and severity("催收") == 0.5
    mild = risk_of_day([neg("环保处罚")], [], severity)
    grave = risk_of_day([neg("破产重整")], [], severity)
    untopical = risk_of_day([neg()], [], severity)
    assert untopical.index < mild.index < grave.index


def test_a_falling_or_steady_day_has_no_trend_and_volume_saturates():
    steady = risk_of_day([neg()] * 5, [5] * 7, severity)
    assert steady.trend == 0 and "未上升" in steady.reasons[3]
    flood = risk_of_day([neg()] * 500, [0] * 7, severity)
    assert flood.index == pytest.approx(100 * (0.25 + 0.30 + 0.25 * 0.3 + 0.10), abs=0.1)
    assert risk_of_day([neg(authority=9.0)], [], severity).authority == 1.0
