"""One source of deadlines (team.ack_deadlines is gone: an unknown key) and the follow-up keys."""
import pytest

from bot.config import parse_config
from bot.errors import ConfigError


def test_team_ack_deadlines_is_an_unknown_key_now():
    with pytest.raises(ConfigError) as err:
        parse_config({"team": {"ack_deadlines": {"重大": 15}}})
    assert ("team.ack_deadlines", "unknown key") in err.value.problems


def test_follow_up_defaults_and_limits():
    f = parse_config({}).response.follow_up
    assert (f.enabled, f.interval_minutes, f.after_resolve_hours, f.resurgence_items, f.resurgence_window_hours) == (
        True, 60, 24, 5, 2)
    with pytest.raises(ConfigError) as err:
        parse_config({"response": {"follow_up": {"interval_minutes": 1, "resurgence_items": 0, "nope": 1}}})
    paths = [p for p, _ in err.value.problems]
    assert paths == ["response.follow_up.interval_minutes", "response.follow_up.resurgence_items",
                     "response.follow_up.nope"]
