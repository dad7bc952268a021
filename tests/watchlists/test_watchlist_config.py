"""watchlist: in config.yaml: every mistake is reported with its path."""
import pytest

from bot.config import ConfigError, parse_config

CHATS = {"alerting": {"chats": {"credit": "oc_credit"}}}


def problems(data: dict) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as err:
        parse_config(data)
    return err.value.problems


def test_a_valid_watchlist_parses():
    cfg = parse_config({**CHATS, "watchlist": {
        "entities": [{"name": "恒远集团", "kind": "borrower", "aliases": ["恒远地产"], "owner": "ou_rm", "tier": "key"}],
        "routes": {"borrower": {"default": ["credit"]}}, "risk": {"jump_threshold": 15, "chat": "credit"}}})
    e = cfg.watchlist.entity("恒远集团")
    assert e is not None and e.kind == "borrower" and e.owner == "ou_rm" and e.aliases == ["恒远地产"]
    assert cfg.watchlist.entity("星河") is None


@pytest.mark.parametrize("watchlist, path, reason", [
    ({"entities": [{"name": "X", "kind": "supplier"}]}, "watchlist.entities[0].kind", "product"),
    ({"entities": [{"name": "X", "kind": "borrower", "owner": "张三"}]}, "watchlist.entities[0].owner", "open_id"),
    ({"entities": [{"name": "X", "kind": "borrower", "tier": "vip"}]}, "watchlist.entities[0].tier", "key"),
    ({"entities": [{"name": "X", "kind": "borrower", "aliases": [" "]}]}, "watchlist.entities[0].aliases", "empty"),
    ({"entities": [{"name": "X", "kind": "borrower"}, {"name": "X", "kind": "partner"}]},
     "watchlist.entities[1].name", "twice"),
    ({"routes": {"lender": {"default": ["credit"]}}}, "watchlist.routes.lender", "unknown kind"),
    ({"routes": {"borrower": {"严重": ["credit"]}}}, "watchlist.routes.borrower.严重", "unknown route"),
    ({"routes": {"borrower": {"default": ["nowhere"]}}}, "watchlist.routes.borrower.default", "not defined"),
    ({"risk": {"chat": "nowhere"}}, "watchlist.risk.chat", "not defined"),
    ({"risk": {"jump_threshold": 0}}, "watchlist.risk.jump_threshold", "greater than"),
    ({"entities": [{"name": "星河", "kind": "product"}]}, "watchlist.entities[0].name", "also under brands"),
    ({"entities": [{"name": "X"}]}, "watchlist.entities[0].kind", "required"),
    ({"owners": []}, "watchlist.owners", "unknown key"),
])
def test_each_mistake_names_its_path(watchlist, path, reason):
    found = problems({**CHATS, "brands": [{"name": "星河"}], "watchlist": watchlist})
    assert any(p == path and reason in r for p, r in found), found
