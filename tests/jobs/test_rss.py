import pytest

from bot.config.sources import RssSource
from bot.errors import SourceError
from jobs.sources.rss import fetch_rss, parse_feed
from tests.jobs.conftest import FIXTURES, context

FEED = (FIXTURES / "weibo_rsshub.xml").read_bytes()


def spec(url: str) -> RssSource:
    return RssSource(name="weibo", kind="rss", url=url, platform="weibo")


def test_rsshub_feed_entries():
    result = parse_feed("weibo", FEED)
    assert len(result.entries) == 3
    first = result.entries[0]
    assert first.external_id == "https://weibo.com/1234567890/PkRz1aBcD"
    assert first.author == "还不上的小王" and "催收电话" in first.title


def test_conditional_get_uses_etag(sources, http):
    url = sources.serve("/feed", FEED, etag='"v1"', headers={"Content-Type": "application/rss+xml"})
    first = fetch_rss(spec(url), context(http))
    second = fetch_rss(spec(url), context(http, etag=first.etag))
    assert first.etag == '"v1"' and len(first.entries) == 3
    assert second.not_modified and second.entries == []
    assert sources.requests[1]["headers"]["If-None-Match"] == '"v1"'


def test_conditional_get_uses_last_modified(sources, http):
    stamp = "Mon, 23 Nov 2026 01:30:00 GMT"
    url = sources.serve("/feed", FEED, last_modified=stamp)
    first = fetch_rss(spec(url), context(http))
    second = fetch_rss(spec(url), context(http, last_modified=first.last_modified))
    assert first.last_modified == stamp and second.not_modified
    assert sources.requests[1]["headers"]["If-Modified-Since"] == stamp


@pytest.mark.parametrize("body, status, reason", [
    (b"", 200, "empty response"),
    (b"<html><body>not a feed", 200, "not a readable feed"),
    ((FIXTURES / "rsshub_error.html").read_bytes(), 200, "not a readable feed"),
    (b"{\"json\": true}", 200, "not a readable feed"),
    (b"oops", 500, "HTTP 500"),
    (b"gone", 404, "HTTP 404"),
])
def test_broken_feeds_raise_a_source_error_naming_the_source(sources, http, body, status, reason):
    url = sources.serve("/broken", body, status=status)
    with pytest.raises(SourceError) as err:
        fetch_rss(spec(url), context(http))
    assert err.value.source == "weibo" and reason in err.value.reason


def test_truncated_feed_keeps_what_parsed():
    cut = FEED[: FEED.index(b"<item>", FEED.index(b"<item>") + 10) + 300]
    result = parse_feed("weibo", cut)
    assert len(result.entries) >= 1 and result.problems
