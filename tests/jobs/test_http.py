"""The shared client's policy, against loopback servers: retries, caps, redirects, timeouts, user agent."""
import threading

import pytest

from bot.errors import SourceError
from jobs.http import Http
from tests.jobs.conftest import fast_scan


def test_user_agent_and_retry_on_5xx_then_success(sources):
    url = sources.serve("/flaky", b"fine", fail_first=2)
    with Http(fast_scan(retries=2, user_agent="yuqing-test/1")) as http:
        assert http.get("s", url).content == b"fine"
    assert len(sources.hits("/flaky")) == 3
    assert sources.requests[0]["headers"]["User-Agent"] == "yuqing-test/1"


def test_5xx_gives_up_after_the_retries(sources):
    url = sources.serve("/down", b"", fail_first=99)
    with Http(fast_scan(retries=1)) as http, pytest.raises(SourceError, match=r"HTTP 503 .* \(after 2 attempts\)"):
        http.get("s", url)


def test_4xx_is_not_retried(sources):
    url = sources.serve("/missing", b"", status=403)
    with Http(fast_scan(retries=3)) as http, pytest.raises(SourceError, match="HTTP 403"):
        http.get("s", url)
    assert len(sources.hits("/missing")) == 1


def test_redirect_loop_is_a_source_error(sources):
    sources.serve("/a", redirect_to="/b")
    url = sources.serve("/b", redirect_to="/a")
    with Http(fast_scan()) as http, pytest.raises(SourceError, match="too many redirects"):
        http.get("s", url)


def test_redirect_is_followed(sources):
    sources.serve("/new", b"here")
    url = sources.serve("/old", redirect_to="/new")
    with Http(fast_scan()) as http:
        fetched = http.get("s", url)
    assert fetched.content == b"here" and fetched.url.endswith("/new")


def test_timeout_is_a_retried_network_error(sources):
    url = sources.serve("/slow", b"late", delay=0.5)
    with Http(fast_scan(timeout=0.1, retries=1)) as http, pytest.raises(SourceError, match="timed out"):
        http.get("s", url)
    assert len(sources.hits("/slow")) == 2


def test_connection_refused_is_a_source_error():
    with Http(fast_scan()) as http, pytest.raises(SourceError, match="cannot fetch"):
        http.get("s", "http://127.0.0.1:9/")


def test_oversized_body_is_refused(sources):
    url = sources.serve("/big", b"x" * 5000)
    with Http(fast_scan(max_body_bytes=1000)) as http, pytest.raises(SourceError, match="larger than 1000 bytes"):
        http.get("s", url)


def test_per_host_cap(sources):
    url = sources.serve("/slowish", b"ok", delay=0.15)
    with Http(fast_scan(per_host=2)) as http:
        threads = [threading.Thread(target=http.get, args=("s", url)) for _ in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(sources.hits("/slowish")) == 5 and sources.max_in_flight == 2
