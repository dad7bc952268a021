from datetime import datetime, timedelta, timezone

import pytest

from bot.analysis.grading import IncidentItem, authority_for, grade_incident, raise_only, summarise
from bot.config.analysis import GradingConfig
from bot.grades import Grade

NOW = datetime(2024, 5, 2, 10, tzinfo=timezone.utc)
CONFIG = GradingConfig(source_tiers={"新华社": "state_media"})


def items(n, hours_span=24.0, platforms=("微博",), negative=True, engagement=0, regulators=(), source="user"):
    step = hours_span / max(1, n - 1)
    return [IncidentItem(NOW - timedelta(hours=hours_span - i * step), source, platforms[i % len(platforms)],
                         authority_for(source, CONFIG), engagement, negative, regulators) for i in range(n)]


def decide(its):
    return grade_incident(summarise(its, NOW, CONFIG), CONFIG)


@pytest.mark.parametrize("its, grade, reason", [
    (items(1, negative=False), None, "无负面内容"),
    (items(1, hours_span=0), Grade.MINOR, "1 小时内 1 条（负面 1 条）"),
    (items(3), Grade.MINOR, "热度 3.2 ≥ 轻微阈值 3"),
    (items(37, engagement=100), Grade.MAJOR, "24 小时内 37 条（负面 37 条）"),
    (items(2, regulators=("金融监管总局",)), Grade.MODERATE, "含监管关键词「金融监管总局」"),
    (items(1, source="新华社"), Grade.MODERATE, "官方媒体报道：新华社"),
    (items(3, platforms=("微博", "黑猫投诉", "知乎")), Grade.MODERATE, "3 个平台（微博、知乎、黑猫投诉）"),
])
def test_grade_and_reason(its, grade, reason):
    decision = decide(its)
    assert decision.grade == grade
    assert reason in decision.reasons


def test_two_platforms_do_not_trigger_spread():
    decision = decide(items(2, platforms=("微博", "知乎")))
    assert not any("个平台" in r for r in decision.reasons)


def test_velocity_spike_triggers_and_a_steady_rate_does_not():
    steady = items(24, hours_span=23.9)
    spike = items(4, hours_span=23) + [IncidentItem(NOW - timedelta(minutes=m), "user", "微博", 1.0, 0, True)
                                       for m in range(0, 50, 8)]
    assert not any("传播加速" in r for r in decide(steady).reasons)
    assert decide(spike).grade == Grade.MODERATE
    assert "传播加速：近 1 小时 8 条" in decide(spike).reasons


def test_trigger_grade_is_configurable():
    config = GradingConfig(triggers={"regulator": "重大"})
    its = items(1, regulators=("银保监会",))
    assert grade_incident(summarise(its, NOW, config), config).grade == Grade.MAJOR


@pytest.mark.parametrize("current, proposed, result", [
    (None, None, None),
    (None, Grade.MINOR, Grade.MINOR),
    (Grade.MODERATE, None, Grade.MODERATE),
    (Grade.MODERATE, Grade.MINOR, Grade.MODERATE),
    (Grade.MINOR, Grade.MAJOR, Grade.MAJOR),
])
def test_raise_only(current, proposed, result):
    assert raise_only(current, proposed) == result


def test_heat_grows_with_authority_and_engagement():
    quiet = decide(items(2)).heat
    assert decide(items(2, engagement=1000)).heat > quiet
    assert decide(items(2, source="新华社")).heat > quiet


def test_bad_grading_config_names_the_key():
    from bot.config import parse_config
    from bot.errors import ConfigError
    with pytest.raises(ConfigError) as exc:
        parse_config({"analysis": {"grading": {"thresholds": {"轻微": 50, "一般": 30, "重大": 100},
                                               "source_tiers": {"新华社": "tv"}}}})
    assert set(exc.value.problems) == {
        ("analysis.grading.source_tiers.新华社", "unknown tier 'tv', use one of state_media, industry_media, "
                                                "large_account, ordinary"),
        ("analysis.grading.thresholds", "must rise: 轻微 ≤ 一般 ≤ 重大"),
    }
