import httpx
import pytest

from bot.config.sources import RssSource
from bot.errors import SourceError
from jobs.sources.rss import fetch_rss, parse_feed
from tests.conftest import REPO

FEED = (REPO / "tests/fixtures/weibo_rsshub.xml").read_bytes()


def spec(url: str) -> RssSource:
    return RssSource(name="weibo", kind="rss", url=url, platform="weibo")


def test_rsshub_feed_entries():
    result = parse_feed("weibo", FEED)
    assert len(result.entries) == 3
    first = result.entries[0]
    assert first.external_id == "https://weibo.com/1234567890/PkRz1aBcD"
    assert first.author == "还不上的小王" and "催收电话" in first.title


def test_conditional_get_uses_etag(sources):
    url = sources.serve("/feed", FEED, etag='"v1"', headers={"Content-Type": "application/rss+xml"})
    with httpx.Client() as client:
        first = fetch_rss(spec(url), client, 1_000_000)
        second = fetch_rss(spec(url), client, 1_000_000, etag=first.etag)
    assert first.etag == '"v1"' and len(first.entries) == 3
    assert second.not_modified and second.entries == []
    assert sources.requests[1]["headers"]["If-None-Match"] == '"v1"'


@pytest.mark.parametrize("body, status, reason", [
    (b"", 200, "empty response"),
    (b"<html><body>not a feed", 200, "not a readable feed"),
    (b"{\"json\": true}", 200, "not a readable feed"),
    (b"oops", 500, "HTTP 500"),
    (b"gone", 404, "HTTP 404"),
])
def test_broken_feeds_raise_a_source_error_naming_the_source(sources, body, status, reason):
    url = sources.serve("/broken", body, status=status)
    with httpx.Client() as client, pytest.raises(SourceError) as err:
        fetch_rss(spec(url), client, 1_000_000)
    assert err.value.source == "weibo" and reason in err.value.reason


def test_oversized_body_is_refused(sources):
    url = sources.serve("/big", FEED)
    with httpx.Client() as client, pytest.raises(SourceError, match="larger than 100 bytes"):
        fetch_rss(spec(url), client, 100)


def test_truncated_feed_keeps_what_parsed():
    cut = FEED[: FEED.index(b"<item>", FEED.index(b"<item>") + 10) + 300]
    result = parse_feed("weibo", cut)
    assert len(result.entries) >= 1 and result.problems
