import json
import logging

import pytest

from bot.config.sources import JsonSource
from bot.errors import SourceError
from jobs.sources.json_api import fetch_json
from tests.jobs.conftest import FIXTURES, context

PAGES = [(FIXTURES / f"json_api_page{n}.json").read_bytes() for n in (1, 2, 3)]
FIELDS = {"id": "mid", "content": "summary", "url": "link", "author": "user.name", "published": "pub_time",
          "views": "stats.read", "reposts": "stats.repost", "comments": "stats.comment", "likes": "stats.like"}


def spec(url, **kw) -> JsonSource:
    return JsonSource(**{"name": "vendor", "kind": "json", "url": url, "items_path": "data.items", "fields": FIELDS,
                         "query": {"q": "星河"}, "headers": {"X-Api-Key": "${VENDOR_KEY}"}, **kw})


def serve_pages(sources, param="page"):
    for n, body in enumerate(PAGES, 1):
        sources.serve(f"/api/search?{param}={n}", body)
    return sources.url + "/api/search"


def test_page_pagination_reads_until_an_empty_page(sources, http):
    url = serve_pages(sources)
    result = fetch_json(spec(url, pagination={"type": "page", "param": "page", "max_pages": 10}),
                        context(http, env={"VENDOR_KEY": "k-123"}))
    assert [e.external_id for e in result.entries] == ["5012345678901234", "5012345678901235", "5012345678901236"]
    assert len(sources.hits("/api/search")) == 3
    first = sources.requests[0]
    assert first["headers"]["X-Api-Key"] == "k-123" and first["query"]["q"] == ["星河"]
    assert result.entries[0].author == "财经快讯" and result.entries[0].metrics["views"] == "2.3万"


def test_page_cap(sources, http):
    url = serve_pages(sources)
    result = fetch_json(spec(url, pagination={"type": "page", "param": "page", "max_pages": 1}),
                        context(http, env={"VENDOR_KEY": "k"}))
    assert len(result.entries) == 2 and len(sources.hits("/api/search")) == 1


def test_cursor_pagination(sources, http):
    first = json.loads(PAGES[0])
    first["data"]["next"] = "c2"
    sources.serve("/feed", json.dumps(first))
    sources.serve("/feed?cursor=c2", PAGES[1])
    result = fetch_json(spec(sources.url + "/feed", pagination={"type": "cursor", "param": "cursor",
                                                                "cursor_path": "data.next"}),
                        context(http, env={"VENDOR_KEY": "k"}))
    assert len(result.entries) == 3  # page 2 has no cursor: the end
    assert "cursor" not in sources.requests[0]["query"] and sources.requests[1]["query"]["cursor"] == ["c2"]


def test_a_repeated_cursor_stops_the_loop(sources, http):
    first = json.loads(PAGES[0])
    first["data"]["next"] = "same"
    url = sources.serve("/feed", json.dumps(first))
    result = fetch_json(spec(url, pagination={"type": "cursor", "param": "cursor", "cursor_path": "data.next"}),
                        context(http, env={"VENDOR_KEY": "k"}))
    assert len(sources.requests) == 2 and "same cursor 'same' again" in result.problems[0]


def test_post_puts_the_page_in_the_body(sources, http):
    url = sources.serve("/search", PAGES[2])
    fetch_json(spec(url, method="POST", body={"keyword": "星河"}, pagination={"type": "page", "param": "pn"}),
               context(http, env={"VENDOR_KEY": "k"}))
    req = sources.requests[0]
    assert req["method"] == "POST" and json.loads(req["body"]) == {"keyword": "星河", "pn": 1}


def test_missing_environment_variable_is_a_clear_error(sources, http):
    url = serve_pages(sources)
    with pytest.raises(SourceError, match="headers.X-Api-Key: environment variable VENDOR_KEY is not set"):
        fetch_json(spec(url), context(http, env={}))
    assert sources.requests == []


@pytest.mark.parametrize("body, reason", [
    (b"", "empty response"),
    ((FIXTURES / "json_api_broken.json").read_bytes(), "malformed JSON"),
    (b'{"code": 401, "msg": "bad key"}', "no list of items at 'data.items'"),
    ("[]".encode("utf-16"), "not UTF-8 JSON"),
])
def test_broken_first_page_is_a_source_error(sources, http, body, reason):
    url = sources.serve("/api", body)
    with pytest.raises(SourceError, match=reason):
        fetch_json(spec(url), context(http, env={"VENDOR_KEY": "k"}))


def test_broken_later_page_keeps_earlier_pages(sources, http):
    sources.serve("/api?page=1", PAGES[0])
    sources.serve("/api?page=2", (FIXTURES / "json_api_broken.json").read_bytes())
    result = fetch_json(spec(sources.url + "/api", pagination={"type": "page", "param": "page"}),
                        context(http, env={"VENDOR_KEY": "k"}))
    assert len(result.entries) == 2
    assert any("page 2: malformed JSON" in p and "kept the 1 page(s)" in p for p in result.problems)


def test_items_that_are_not_objects_are_skipped(sources, http):
    url = sources.serve("/api", json.dumps({"data": {"items": ["junk", {"mid": "1", "summary": "ok"}]}}))
    result = fetch_json(spec(url), context(http, env={"VENDOR_KEY": "k"}))
    assert [e.external_id for e in result.entries] == ["1"]
    assert result.problems == ["page 1, item 1: not a JSON object, skipped"]
