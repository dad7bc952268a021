"""Each source kind from config.yaml through jobs/scan.py → accept_items into stored items; health and notices."""
import logging
import shutil
import threading

import pytest
from sqlalchemy import func, select

from bot.models import Delivery, Item, Source
from jobs.http import Http
from jobs.scan import scan_all, scan_source
from tests.jobs.conftest import FIXTURES, fast_scan
from tests.jobs.test_files import FIELDS as XHS_FIELDS
from tests.jobs.test_html import FIELDS as FORUM_FIELDS
from tests.jobs.test_json_api import FIELDS as API_FIELDS

OPS = "oc_ops_room"


def config(sources_: list[dict], **scan) -> dict:
    return {"scan": {"retries": 0, "backoff": 0, "timeout": 2, "ops_chat": "ops", "down_after": 2, **scan},
            "sources": sources_,
            "brands": [{"name": "星河消费金融", "aliases": ["星河分期"]}, {"name": "青橙分期", "aliases": []}],
            "alerting": {"chats": {"crisis": "oc_crisis", "ops": OPS}, "routes": {"default": ["crisis"]}}}


def count(rt, model, *where) -> int:
    with rt.sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def source(rt, name) -> Source:
    with rt.sessions() as s:
        return s.scalar(select(Source).where(Source.name == name))


@pytest.fixture
def all_kinds(sources, tmp_path, monkeypatch):
    monkeypatch.setenv("VENDOR_KEY", "k-1")
    for n in (1, 2, 3):
        sources.serve(f"/api?page={n}", (FIXTURES / f"json_api_page{n}.json").read_bytes())
    for name in ("list_gbk.html", "thread-880011-1-1.html", "thread-880012-1-1.html"):
        sources.serve(f"/forum/{name}", (FIXTURES / "forum" / name).read_bytes())
    (tmp_path / "export").mkdir()
    shutil.copy(FIXTURES / "mediacrawler/search_contents_2026-11-23.jsonl", tmp_path / "export")
    return [
        {"name": "weibo", "kind": "rss", "url": sources.serve("/rss", (FIXTURES / "weibo_rsshub.xml").read_bytes()),
         "platform": "weibo"},
        {"name": "vendor", "kind": "json", "url": sources.url + "/api", "items_path": "data.items",
         "fields": API_FIELDS, "headers": {"X-Api-Key": "${VENDOR_KEY}"},
         "pagination": {"type": "page", "param": "page"}},
        {"name": "forum", "kind": "html", "url": sources.url + "/forum/list_gbk.html", "item": "li.thread",
         "fields": FORUM_FIELDS, "detail_content": "div.t_msg", "platform": "forum", "authority": 0.5},
        {"name": "xhs", "kind": "file", "path": "export", "pattern": "*_contents_*.jsonl", "fields": XHS_FIELDS,
         "platform": "other"},
        {"name": "push", "kind": "webhook", "token_env": "PUSH_TOKEN"},
    ]


def test_every_kind_end_to_end_and_a_rescan_adds_nothing(make_runtime, all_kinds, caplog):
    rt = make_runtime(config(all_kinds))
    with Http(rt.config.scan) as http, caplog.at_level(logging.WARNING):
        reports = {r.source: r for r in scan_all(rt, http)}
        assert set(reports) == {"weibo", "vendor", "forum", "xhs"}  # webhook sources are pushed, not scanned
        assert {k: (r.new, r.error) for k, r in reports.items()} == {
            "weibo": (3, None), "vendor": (3, None), "forum": (3, None), "xhs": (3, None)}
        assert "source forum: item 4: no title or content found, skipped" in caplog.text
        again = scan_all(rt, http)
    assert [r.new for r in again] == [0, 0, 0, 0]
    assert count(rt, Item) == 12
    with rt.sessions() as s:
        thread = s.scalar(select(Item).where(Item.external_id == "880011"))
        note = s.scalar(select(Item).where(Item.external_id == "6561f0a1000000003c01a1b4"))
    assert "通讯录里的同事" in thread.text and thread.authority == 0.5 and thread.views == 12000
    assert "星河消费金融" in str(thread.brands)  # accept_items ran on it
    assert note.likes == 100000 and note.published_at is not None
    assert source(rt, "xhs").cursor["files"]["search_contents_2026-11-23.jsonl"]["offset"] > 0
    assert source(rt, "vendor").items_fetched == 3


def test_a_broken_source_does_not_affect_the_others(make_runtime, sources, caplog):
    good = sources.serve("/good", (FIXTURES / "weibo_rsshub.xml").read_bytes())
    bad = sources.serve("/bad", b"<rss><channel><title>oops &bad;", status=200)
    rt = make_runtime(config([{"name": "bad", "kind": "rss", "url": bad}, {"name": "good", "kind": "rss", "url": good}]))
    with Http(rt.config.scan) as http, caplog.at_level(logging.WARNING):
        reports = scan_all(rt, http)
    assert reports[0].error and reports[1].new == 3
    assert "source bad: not a readable feed" in caplog.text
    assert source(rt, "bad").consecutive_failures == 1 and source(rt, "good").last_success_at is not None


def test_down_notice_once_then_recovered_once(make_runtime, sources, clock, caplog):
    url = sources.serve("/feed", b"down", status=502)
    rt = make_runtime(config([{"name": "feed", "kind": "rss", "url": url}]))
    spec = rt.config.sources[0]
    with Http(rt.config.scan) as http:
        for _ in range(4):
            scan_source(rt, spec, http)
            clock.advance(minutes=5)
        row = source(rt, "feed")
        assert row.consecutive_failures == 4 and row.is_down and "HTTP 502" in row.last_error
        with rt.sessions() as s:
            notices = [d.payload["content"]["text"] for d in s.scalars(select(Delivery).where(Delivery.chat_id == OPS))]
        assert len(notices) == 1 and "feed 已连续失败 2 次" in notices[0] and "HTTP 502" in notices[0]
        sources.serve("/feed", (FIXTURES / "weibo_rsshub.xml").read_bytes())
        scan_source(rt, spec, http)
        scan_source(rt, spec, http)
    with rt.sessions() as s:
        rows = s.scalars(select(Delivery).where(Delivery.chat_id == OPS).order_by(Delivery.id)).all()
    assert [d.kind for d in rows] == ["ops_notice", "ops_notice"] and "已恢复" in rows[1].payload["content"]["text"]
    assert not source(rt, "feed").is_down and source(rt, "feed").consecutive_failures == 0


def test_without_an_ops_chat_the_notice_is_logged(make_runtime, sources, caplog):
    url = sources.serve("/feed", b"", status=500)
    rt = make_runtime(config([{"name": "feed", "kind": "rss", "url": url}], ops_chat=None, down_after=1))
    with Http(rt.config.scan) as http, caplog.at_level(logging.WARNING):
        scan_source(rt, rt.config.sources[0], http)
    assert "scan.ops_chat is not set" in caplog.text
    assert "数据源 feed 已连续失败 1 次" in caplog.text and count(rt, Delivery) == 0


def test_two_scans_racing_store_each_item_once(make_runtime, sources):
    url = sources.serve("/feed", (FIXTURES / "weibo_rsshub.xml").read_bytes())
    rt = make_runtime(config([{"name": "feed", "kind": "rss", "url": url},
                              {"name": "mirror", "kind": "rss", "url": url}]))
    barrier = threading.Barrier(4)
    reports = []

    def run(spec):
        with Http(fast_scan()) as http:
            barrier.wait()
            reports.append(scan_source(rt, spec, http))

    threads = [threading.Thread(target=run, args=(spec,)) for spec in rt.config.sources * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.error for r in reports] == [None] * 4
    assert sum(r.new for r in reports) == 3 and count(rt, Item) == 3  # same URLs: stored once across sources


def test_file_offset_is_committed_with_the_items(make_runtime, tmp_path, monkeypatch):
    (tmp_path / "export").mkdir()
    shutil.copy(FIXTURES / "mediacrawler/search_contents_2026-11-23.jsonl", tmp_path / "export")
    rt = make_runtime(config([{"name": "xhs", "kind": "file", "path": "export", "fields": XHS_FIELDS}]))

    def fail(*a, **kw):
        raise RuntimeError("database went away")

    monkeypatch.setattr("jobs.scan.accept_items", fail)
    with Http(rt.config.scan) as http:
        report = scan_source(rt, rt.config.sources[0], http)
        assert "internal error: RuntimeError: database went away" == report.error
        assert count(rt, Item) == 0 and source(rt, "xhs").cursor == {}  # neither items nor offset kept
        monkeypatch.undo()
        assert scan_source(rt, rt.config.sources[0], http).new == 3
