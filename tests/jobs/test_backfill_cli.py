"""`yuqing import FILE --source NAME` and `yuqing sources`, through the CLI."""
import json
import shutil

from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli import main
from bot.db import make_engine
from bot.models import Item
from tests.conftest import write_config
from tests.jobs.conftest import FIXTURES
from tests.jobs.test_files import FIELDS as XHS_FIELDS


def items(db_url) -> int:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        n = conn.scalar(select(func.count()).select_from(Item))
    engine.dispose()
    return n


def cfg(tmp_path, db_url):
    return write_config(tmp_path, {
        "database": {"url": db_url},
        "sources": [{"name": "xhs", "kind": "file", "path": "export", "fields": XHS_FIELDS},
                    {"name": "push", "kind": "webhook", "token_env": "T"},
                    {"name": "feed", "kind": "rss", "url": "http://127.0.0.1:9/never", "enabled": False}],
        "alerting": {"chats": {"ops": "oc_ops"}}, "scan": {"ops_chat": "ops"}})


def run(*args):
    return CliRunner().invoke(main, list(args), env={"FEISHU_APP_ID": "", "FEISHU_APP_SECRET": ""})


def test_import_a_mediacrawler_export_twice_stores_once(tmp_path, db_url, caplog):
    path = cfg(tmp_path, db_url)
    shutil.copy(FIXTURES / "mediacrawler/search_contents_broken.jsonl", tmp_path / "old.jsonl")
    first = run("import", str(tmp_path / "old.jsonl"), "--source", "xhs", "-c", str(path))
    assert first.exit_code == 0, first.output
    # the last line of a finished file counts even without its newline; this one is cut short, so malformed
    assert "3 read, 2 new, 0 matching, 1 skipped" in first.output
    assert "import old.jsonl into xhs: old.jsonl at byte 1607: malformed JSON line skipped" in caplog.text
    again = run("import", str(tmp_path / "old.jsonl"), "--source", "xhs", "-c", str(path))
    assert "0 new" in again.output and items(db_url) == 2


def test_import_jsonl_of_items_into_a_webhook_source(tmp_path, db_url):
    path = cfg(tmp_path, db_url)
    lines = [json.dumps(i, ensure_ascii=False) for i in json.loads((FIXTURES / "webhook_batch.json").read_text())["items"]]
    (tmp_path / "items.jsonl").write_text("\n".join(lines), encoding="utf-8")
    result = run("import", str(tmp_path / "items.jsonl"), "--source", "push", "-c", str(path))
    assert result.exit_code == 0 and "2 read, 2 new" in result.output


def test_import_refuses_an_unknown_source(tmp_path, db_url):
    path = cfg(tmp_path, db_url)
    (tmp_path / "x.jsonl").write_text("")
    result = run("import", str(tmp_path / "x.jsonl"), "--source", "ghost", "-c", str(path))
    assert result.exit_code == 2 and "--source ghost: no such source" in result.output


def test_sources_shows_the_health_table(tmp_path, db_url):
    path = cfg(tmp_path, db_url)
    (tmp_path / "export").mkdir()
    assert run("scan", "--once", "-c", str(path)).exit_code == 0
    result = run("sources", "-c", str(path))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:4] == ["source", "kind", "status", "last"]
    assert lines[1].split()[:3] == ["xhs", "file", "ok"] and "0s ago" in lines[1]
    assert lines[3].split()[:4] == ["feed", "rss", "disabled", "never"]
