"""Routing per grade and per brand override, and who gets @-mentioned: table-driven and pure."""
import pytest

from datetime import datetime, timezone

from bot.alerting.routing import route
from bot.oncall import leads, on_call
from bot.config import ConfigError, parse_config
from tests.alerting.conftest import ALERTING, CRISIS, LEAD, ON_CALL, PR, QC, SERVICE

CFG = parse_config({"alerting": ALERTING}).alerting


@pytest.mark.parametrize("brand, grade, chats, mentions", [
    ("星河消费金融", "轻微", (SERVICE,), ()),
    ("星河消费金融", "一般", (PR,), (ON_CALL,)),
    ("星河消费金融", "重大", (CRISIS,), (ON_CALL, LEAD)),
    ("星河消费金融", None, (CRISIS,), ()),                      # not graded yet: the default route
    ("青橙分期", "重大", (CRISIS, QC), (ON_CALL, LEAD)),        # the brand's own route
    ("青橙分期", "一般", (PR,), (ON_CALL,)),                    # no brand route for 一般: the global one
])
def test_route(brand, grade, chats, mentions):
    r = route(CFG, brand, grade, [ON_CALL])
    assert (r.chat_ids, r.mentions) == (chats, mentions)


def test_brand_default_route_wins_over_global_grade_route():
    cfg = parse_config({"alerting": {**ALERTING, "brand_routes": {"青橙分期": {"default": ["qingcheng"]}}}}).alerting
    assert route(cfg, "青橙分期", "一般", []).chat_ids == (QC,)


def test_mentions_drop_anything_not_an_open_id():
    assert route(CFG, "x", "一般", ["all", "ou_ok", "<at id=all>", "ou_ok"]).mentions == ("ou_ok",)


@pytest.mark.parametrize("alerting, path, reason", [
    ({"on_call": ["all"]}, "alerting.on_call[0]", "is not a Feishu open_id"),
    ({"leads": ["ou_x y"]}, "alerting.leads[0]", "is not a Feishu open_id"),
    ({"chats": {"a": "oc_1"}, "brand_routes": {"青橙": {"重大": ["b"]}}}, "alerting.brand_routes.青橙.重大[0]",
     "chat 'b' is not defined"),
    ({"mention_grades": ["严重"]}, "alerting.mention_grades", "unknown grade"),
    ({"chat_rate": 10}, "alerting.chat_rate", "less than or equal to 5"),
    ({"group_wakt": 1}, "alerting.group_wakt", "unknown key"),
])
def test_config_problems_name_their_path(alerting, path, reason):
    with pytest.raises(ConfigError) as err:
        parse_config({"alerting": alerting})
    assert any(p == path and reason in r for p, r in err.value.problems), err.value.problems


def test_the_rota_wins_over_the_fixed_on_call_list():
    config = parse_config({"alerting": ALERTING, "response": {"rota": {
        "members": [{"open_id": "ou_rota1", "name": "甲"}], "leads": ["ou_rotalead"]}}})
    now = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
    assert on_call(config, now) == ["ou_rota1"] and leads(config, now) == ["ou_rotalead"]
    plain = parse_config({"alerting": ALERTING})
    assert on_call(plain, now) == [ON_CALL] and leads(plain, now) == [LEAD]
