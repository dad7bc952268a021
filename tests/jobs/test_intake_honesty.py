"""A source that answers but yields nothing usable, or a broken document, counts as failing; `scan --once`
says so in its exit status when every source failed."""
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from bot.models import Delivery, Item
from jobs.http import Http
from jobs.scan import scan_source
from tests.conftest import write_config
from tests.jobs.test_scan import OPS, config, count, source

UNUSABLE = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><guid>1</guid></item><item><guid>2</guid></item><item><guid>3</guid></item></channel></rss>"""
GOOD_ITEM = ("<item><title>星河消费金融暴力催收</title><link>https://news.example.com/{n}</link>"
             "<description>用户投诉</description></item>")
TRUNCATED = ("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>"
             + GOOD_ITEM.format(n=1) + GOOD_ITEM.format(n=2) + "<item><title>半条").encode()


def test_a_feed_with_no_usable_entry_is_a_failure_and_reaches_the_ops_chat(make_runtime, sources):
    url = sources.serve("/feed", UNUSABLE)
    rt = make_runtime(config([{"name": "feed", "kind": "rss", "url": url}], down_after=2))
    spec = rt.config.sources[0]
    with Http(rt.config.scan) as http:
        report = scan_source(rt, spec, http)
        assert report.error == "3 entries, none usable (first: no title and no text)"
        scan_source(rt, spec, http)
    row = source(rt, "feed")
    assert row.consecutive_failures == 2 and row.is_down and row.last_success_at is None
    with rt.sessions() as s:
        notices = [d.payload["content"]["text"] for d in s.scalars(select(Delivery).where(Delivery.chat_id == OPS))]
    assert len(notices) == 1 and "none usable" in notices[0]


def test_a_malformed_feed_keeps_what_parsed_but_counts_as_failing(make_runtime, sources):
    url = sources.serve("/feed", TRUNCATED)
    rt = make_runtime(config([{"name": "feed", "kind": "rss", "url": url}]))
    with Http(rt.config.scan) as http:
        report = scan_source(rt, rt.config.sources[0], http)
    assert report.new == 2 and count(rt, Item) == 2
    assert report.error.startswith("malformed feed")
    assert source(rt, "feed").consecutive_failures == 1


def test_scan_once_exits_non_zero_only_when_every_source_failed(tmp_path, sources):
    good = (tmp_path / "feed.xml")
    good.write_bytes(b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>"
                     + GOOD_ITEM.format(n=9).encode() + b"</channel></rss>")
    broken = sources.serve("/down", b"", status=500)
    base = {"database": {"url": f"sqlite:///{tmp_path / 'y.db'}"}, "scan": {"retries": 0, "timeout": 2}}
    runner = CliRunner()
    all_bad = write_config(tmp_path, {**base, "sources": [{"name": "a", "kind": "rss", "url": broken},
                                                          {"name": "b", "kind": "rss", "url": broken}]})
    r = runner.invoke(main, ["scan", "--once", "-c", str(all_bad)], env={"FEISHU_APP_ID": ""})
    assert r.exit_code == 1 and "every source failed" in r.output
    one_good = write_config(tmp_path, {**base, "sources": [{"name": "a", "kind": "rss", "url": broken},
                                                           {"name": "b", "kind": "rss", "path": str(good)}]})
    r = runner.invoke(main, ["scan", "--once", "-c", str(one_good)], env={"FEISHU_APP_ID": ""})
    assert r.exit_code == 0, r.output
