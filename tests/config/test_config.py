import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config import ConfigError, load_config, parse_config
from tests.conftest import REPO, write_config


def test_shipped_config_is_valid_and_runs_offline():
    loaded = load_config(REPO / "config.yaml", env={})
    assert [s.name for s in loaded.config.sources] == ["sample-news"]
    assert loaded.resolve_path(loaded.config.sources[0].path).is_file()
    assert loaded.database_url == f"sqlite:///{REPO / 'yuqing.db'}"
    assert not loaded.secrets.can_send


@pytest.mark.parametrize("data, expected", [
    ({"sources": [{"name": "a", "kind": "rss", "url": "http://x", "interval": 10}]},
     ("sources[0].interval", "must be at least 30 seconds")),
    ({"sources": [{"name": "a", "kind": "rss"}]}, ("sources[0]", "give exactly one of url or path")),
    ({"sources": [{"name": "a", "kind": "rss", "url": "ftp://x"}]},
     ("sources[0]", "url must start with http:// or https://")),
    ({"sources": [{"name": "a", "kind": "telegram", "url": "http://x"}]}, ("sources[0].kind", "unknown kind 'telegram', use one of rss, json, html, file, webhook")),
    ({"sources": [{"name": "a", "url": "http://x"}]}, ("sources[0].kind", "required: one of rss, json, html, file, webhook")),
    ({"feishu": {"domian": "x"}}, ("feishu.domian", "unknown key")),
    ({"feishu": {"app_secret": "x"}}, ("feishu.app_secret", "set FEISHU_APP_SECRET in the environment")),
    ({"feishu": {"event_mode": "smoke"}}, ("feishu.event_mode", "Input should be 'http' or 'ws'")),
    ({"brands": [{"aliases": ["x"]}]}, ("brands[0].name", "required")),
    ({"alerting": {"chats": {"a": "oc_1"}, "routes": {"重大": ["b"]}}},
     ("alerting.routes.重大[0]", "chat 'b' is not defined under alerting.chats")),
    ({"alerting": {"routes": {"urgent": []}}}, ("alerting.routes.urgent", "unknown route")),
    ([1, 2], ("(top level)", "must be a mapping")),
])
def test_each_problem_is_reported_with_its_path(data, expected):
    with pytest.raises(ConfigError) as err:
        parse_config(data)
    path, reason = expected
    assert any(p == path and reason in r for p, r in err.value.problems), err.value.problems


def test_every_problem_is_reported_not_just_the_first():
    with pytest.raises(ConfigError) as err:
        parse_config({"sources": [{"name": "a", "kind": "rss", "url": "http://x", "interval": 1},
                                  {"name": "b", "kind": "rss", "url": "http://y", "interval": 2}],
                      "server": {"port": 70000}})
    paths = [p for p, _ in err.value.problems]
    assert paths == ["server.port", "sources[0].interval", "sources[1].interval"]


def test_environment_supplies_secrets_and_database_url(tmp_path):
    path = write_config(tmp_path, {"database": {"url": "sqlite:///from-file.db"}})
    loaded = load_config(path, env={"FEISHU_APP_ID": "cli_1", "FEISHU_APP_SECRET": "top-secret-value",
                                    "YUQING_DATABASE_URL": "postgresql+psycopg://u@h/db"})
    assert loaded.database_url == "postgresql+psycopg://u@h/db"
    assert loaded.secrets.can_send and loaded.secrets.app_secret.get_secret_value() == "top-secret-value"
    assert "top-secret-value" not in repr(loaded.secrets)
    relative = load_config(path, env={})
    assert relative.database_url == f"sqlite:///{tmp_path / 'from-file.db'}"


def test_check_config_exit_codes_and_messages(tmp_path):
    runner = CliRunner()
    good = runner.invoke(main, ["check-config", "-c", str(REPO / "config.yaml")], env={"FEISHU_APP_ID": ""})
    assert good.exit_code == 0, good.output
    assert "OK" in good.output

    bad = write_config(tmp_path, {"sources": [{"name": "a", "kind": "rss", "url": "http://x"},
                                              {"name": "b", "kind": "rss", "url": "http://x"},
                                              {"name": "c", "kind": "rss", "url": "http://x", "interval": 5}],
                                  "bogus": 1})
    result = runner.invoke(main, ["check-config", "-c", str(bad)])
    assert result.exit_code == 2
    assert "sources[2].interval: must be at least 30 seconds" in result.output
    assert "bogus: unknown key" in result.output
    assert "Traceback" not in result.output

    broken = tmp_path / "broken.yaml"
    broken.write_text("sources: [\n  - name: a\n kind: rss", encoding="utf-8")
    result = runner.invoke(main, ["check-config", "-c", str(broken)])
    assert result.exit_code == 2 and "not valid YAML at line" in result.output

    result = runner.invoke(main, ["check-config", "-c", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2 and "file not found" in result.output
