import pytest

from bot.analysis.rules import RuleSet
from bot.analysis.rulesyntax import RuleSyntaxError, parse_rule
from bot.config import parse_config
from bot.errors import ConfigError


@pytest.mark.parametrize("expr, message", [
    ("", "empty rule"),
    ("   ", "empty rule"),
    ("催收 & (a |)", "unexpected ')' at position 10"),
    ("催收 )", "unexpected ')' at position 4"),
    ("(催收 | 逾期", "unclosed '(' at position 1"),
    ('"暴力 催收', "unterminated quote at position 1"),
    ('催收 & ""', "empty phrase at position 6"),
    ("催收 NEAR 平台", "NEAR needs a distance such as NEAR/5 at position 4"),
    ("催收 NEAR/0 平台", "NEAR needs a distance such as NEAR/5 at position 4"),
    ("(a | b) NEAR/3 c", "NEAR/3 joins two terms, not groups, at position 9"),
    ("催收 逾期", "unexpected '逾期' at position 4"),
    ("催收 &", "unexpected end of rule at position 5, expected a term"),
    ("| 催收", "unexpected '|' at position 1"),
    ("!招聘", "matches text that contains none of its terms; add a term that is not negated"),
    ("!(a & b)", "matches text that contains none of its terms; add a term that is not negated"),
])
def test_syntax_errors_name_the_position(expr, message):
    with pytest.raises(RuleSyntaxError) as exc:
        parse_rule(expr)
    assert str(exc.value) == message


def test_config_reports_rule_error_with_its_path():
    with pytest.raises(ConfigError) as exc:
        parse_config({"analysis": {"rules": [{"name": "ok", "expr": "催收"}, {"name": "bad", "expr": "(催收 | )"}]}})
    assert exc.value.problems == [("analysis.rules[1].expr", "unexpected ')' at position 7")]


@pytest.mark.parametrize("expr, text, matches", [
    ("(催收 | 暴力催收) & !招聘", "天天被暴力催收", True),
    ("(催收 | 暴力催收) & !招聘", "高薪招聘催收专员", False),
    ("催收 AND NOT 招聘", "被催收了", True),
    ("催收 OR 逾期", "逾期三天", True),
    ("催收 & 逾期", "逾期三天", False),
    ('"714 高炮"', "又是714 高炮", True),
    ('"714 高炮"', "又是714高炮", False),
    ("砍头息 NEAR/5 平台", "这个平台收砍头息", True),
    ("砍头息 NEAR/5 平台", "砍头息问题很多，其他方面还行，最后说一下这个平台", False),
    ("砍头息 NEAR/5 平台", "平台，砍头息", True),
    ("APP & 闪退", "ＡＰＰ又闪退了", True),  # full-width and case are normalised on both sides
])
def test_rule_matching(expr, text, matches):
    from bot.analysis.textform import normalise
    assert bool(RuleSet([("r", expr)]).match(normalise(text))) is matches


def test_many_rules_report_in_config_order():
    rules = RuleSet([("b", "逾期"), ("a", "催收 | 逾期"), ("c", "招聘")])
    assert rules.match("逾期又被催收") == ("b", "a")
    assert rules.match("无关内容") == ()
