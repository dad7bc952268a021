"""`yuqing check-config` checks references and the environment, every problem with its key path."""
import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config import ConfigError, load_config, parse_config
from bot.config.environment import environment_findings
from tests.conftest import REPO, write_config

CHATS = {"crisis": "oc_1", "ops": "oc_2"}


def problems(data: dict) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as err:
        parse_config(data)
    return err.value.problems


def test_every_unresolved_reference_is_reported_with_its_path():
    found = problems({
        "sources": [{"name": "a", "kind": "rss", "url": "http://x"}, {"name": "a", "kind": "rss", "url": "http://y"}],
        "brands": [{"name": "星河"}, {"name": "星河"}],
        "scan": {"ops_chat": "nowhere"},
        "alerting": {"chats": CHATS, "routes": {"重大": ["crisis", "pr"], "default": ["gone"]},
                     "brand_routes": {"青橙": {"default": ["crisis"]}, "星河": {"一般": ["nope"]}}},
        "response": {"digest": {"chat": "leads"}},
    })
    paths = [p for p, _ in found]
    assert paths == ["sources[1].name", "brands[1].name", "alerting.routes.重大[1]", "alerting.routes.default[0]",
                     "alerting.brand_routes.星河.一般[0]", "scan.ops_chat", "response.digest.chat"]
    reasons = dict(found)
    assert reasons["sources[1].name"] == "source name 'a' is already used by sources[0].name"
    assert "chat 'nowhere' is not defined under alerting.chats (crisis, ops)" == reasons["scan.ops_chat"]


def _findings(tmp_path, data: dict, env: dict, offline: bool = False):
    return environment_findings(load_config(write_config(tmp_path, data), env=env), env=env, offline=offline)


ENVIRONMENT = {
    "database": {"url": "postgresql+psycopg://bot:hunter2@db/yuqing"},
    "sources": [{"name": "feed", "kind": "rss", "path": "missing.xml"},
                {"name": "drop", "kind": "file", "path": "no-such-dir"},
                {"name": "hook", "kind": "webhook", "token_env": "HOOK_TOKEN"},
                {"name": "api", "kind": "json", "url": "https://api.example.com/s",
                 "headers": {"X-Api-Key": "${VENDOR_KEY}", "X-Ok": "${SET_ONE}"}, "fields": {"title": "t"}}],
}


def test_paths_environment_and_password_are_checked(tmp_path):
    found = {f.path: f for f in _findings(tmp_path, ENVIRONMENT, env={"SET_ONE": "1"})}
    assert set(found) == {"sources[0].path", "sources[1].path", "sources[2].token_env", "sources[3].headers.X-Api-Key",
                          "database.url"}
    assert all(f.severity == "error" for f in found.values())
    assert "missing.xml does not exist" in found["sources[0].path"].reason
    assert found["sources[2].token_env"].reason.startswith("environment variable HOOK_TOKEN is not set")
    assert "VENDOR_KEY" in found["sources[3].headers.X-Api-Key"].reason
    assert "holds a password" in found["database.url"].reason


def test_a_brand_route_for_an_unknown_brand_is_reported(tmp_path):
    data = {"brands": [{"name": "星河"}], "alerting": {"chats": CHATS, "brand_routes": {"青橙": {"default": ["crisis"]},
                                                                                    "星河": {"default": ["ops"]}}}}
    found = {f.path: f.reason for f in _findings(tmp_path, data, env={})}
    assert list(found) == ["alerting.brand_routes.青橙"]
    assert found["alerting.brand_routes.青橙"].startswith("brand '青橙' is not one of brands[].name (星河)")


def test_offline_makes_the_environment_warnings_but_not_the_password(tmp_path):
    found = {f.path: f.severity for f in _findings(tmp_path, ENVIRONMENT, env={}, offline=True)}
    assert found.pop("database.url") == "error"
    assert set(found.values()) == {"warning"}


@pytest.mark.parametrize("url, says", [
    ("mysql://u@h/db", "mysql is not supported"),
    ("mysql+pymysql://u@h/db", "mysql is not supported"),
    ("oracle+nosuch://u@h/db", "no SQLAlchemy dialect"),
    ("postgresql+psycopg2://u@h/db", "the driver for 'postgresql+psycopg2' is not installed"),
])
def test_the_database_driver_must_be_there(tmp_path, url, says):
    found = {f.path: f.reason for f in _findings(tmp_path, {"database": {"url": url}}, env={})}
    assert says in found["database.url"]


def test_cli_reports_all_and_exits_2_then_0_once_fixed(tmp_path):
    runner = CliRunner()
    path = write_config(tmp_path, ENVIRONMENT)
    bad = runner.invoke(main, ["check-config", "-c", str(path)], env={"SET_ONE": "1", "YUQING_DATABASE_URL": ""})
    assert bad.exit_code == 2
    lines = bad.output.splitlines()
    assert lines[0].endswith("5 problem(s)") and len(lines) == 6
    assert "hunter2" not in bad.output
    (tmp_path / "missing.xml").write_text("<rss/>")
    (tmp_path / "no-such-dir").mkdir()
    fixed = {**ENVIRONMENT, "database": {"url": "postgresql+psycopg://bot@db/yuqing"}}
    good = runner.invoke(main, ["check-config", "-c", str(write_config(tmp_path, fixed))],
                         env={"SET_ONE": "1", "HOOK_TOKEN": "t", "VENDOR_KEY": "k", "YUQING_DATABASE_URL": ""})
    assert good.exit_code == 0, good.output
    offline = runner.invoke(main, ["check-config", "--offline", "-c", str(REPO / "config.yaml")])
    assert offline.exit_code == 0
