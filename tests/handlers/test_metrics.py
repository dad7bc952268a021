"""GET /metrics in Prometheus's text format: scans, analysis, deliveries, event → reply latency, outbox, health."""
import time
import uuid

import httpx
from prometheus_client.parser import text_string_to_metric_families

from jobs.deliver import DeliveryWorker
from jobs.http import Http
from jobs.scan import scan_source
from tests.builders.feishu_events import message_event
from tests.conftest import REPO
from tests.handlers.conftest import post, wait_for


def scrape(server) -> dict[tuple, float]:
    r = httpx.get(f"{server.url}/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_follow_a_scan_and_a_command(intake, chat_rt, client, feishu, sources):
    server, _ = intake
    before = scrape(server)
    # a scan of a feed that is there, and of one that is not
    ok = sources.serve("/feed", (REPO / "samples/finance_news.xml").read_bytes())
    bad = sources.serve("/gone", b"", status=500)
    from bot.config.sources import RssSource

    with Http(chat_rt.config.scan.model_copy(update={"retries": 0})) as http:
        scan_source(chat_rt, RssSource(name="m-feed", kind="rss", url=ok), http)
        scan_source(chat_rt, RssSource(name="m-gone", kind="rss", url=bad), http)
    # a command, answered
    worker = DeliveryWorker(chat_rt, client).start()
    try:
        said = client.send("oc_crisis", "text", {"text": "/help"}, uuid.uuid4().hex).message_id
        post(server, message_event("/help", message_id=said))
        wait_for(lambda: feishu.replies_to(said), timeout=10)
        time.sleep(0.3)  # the worker records the send after Feishu answers
    finally:
        worker.stop()
    after = scrape(server)

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("yuqing_items_fetched_total", source="m-feed") == 5
    assert grew("yuqing_items_stored_total", source="m-feed") == 5
    assert grew("yuqing_scans_total", source="m-gone", result="failed") == 1
    assert grew("yuqing_scan_duration_seconds_count", source="m-feed") == 1
    assert grew("yuqing_items_analysed_total") == 5 and grew("yuqing_analysis_seconds_total") > 0
    assert grew("yuqing_deliveries_total", kind="command_reply", result="sent") == 1
    assert grew("yuqing_event_to_reply_seconds_count") == 1
    assert value(after, "yuqing_source_down", source="m-feed") == 0
    assert value(after, "yuqing_source_consecutive_failures", source="m-gone") == 1
    assert ("yuqing_outbox_oldest_pending_seconds", ()) in after
    assert value(after, "yuqing_outbox_deliveries", status="sent") >= 1
