"""The HTTP client every source shares: user agent, timeouts, retries with backoff, a per-host cap, a size cap.

Network errors and 5xx answers are retried (`scan.retries` times, waiting `scan.backoff` seconds, doubled
each time); 4xx, redirect loops and oversized bodies are not. Whatever fails becomes a SourceError that
names the source and the reason.
"""
import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from bot.config.sources import ScanConfig
from bot.errors import SourceError

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5


@dataclass(frozen=True)
class Fetched:
    status: int
    content: bytes
    headers: httpx.Headers
    url: str


class _Retryable(Exception):
    def __init__(self, reason: str):
        self.reason = reason


class Http:
    """A shared httpx.Client with the scan policy; use as a context manager or call close()."""

    def __init__(self, scan: ScanConfig, client: httpx.Client | None = None):
        self.scan = scan
        self.max_bytes = scan.max_body_bytes
        self.client = client or httpx.Client(headers={"User-Agent": scan.user_agent},
                                             timeout=httpx.Timeout(scan.timeout), follow_redirects=True,
                                             max_redirects=MAX_REDIRECTS)
        self._hosts: dict[str, threading.Semaphore] = defaultdict(lambda: threading.Semaphore(scan.per_host))
        self._lock = threading.Lock()

    def __enter__(self) -> "Http":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def _slot(self, url: str) -> threading.Semaphore:
        with self._lock:
            return self._hosts[(urlsplit(url).hostname or "").lower()]

    def request(self, source: str, method: str, url: str, *, params: dict | None = None,
                headers: dict | None = None, json: dict | None = None) -> Fetched:
        """One request with retries; 304 comes back as is, any other status ≥ 400 is a SourceError."""
        attempts = self.scan.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                with self._slot(url):
                    return self._once(source, method, url, params, headers, json)
            except _Retryable as exc:
                if attempt == attempts:
                    raise SourceError(source, f"{exc.reason} (after {attempts} attempts)") from None
                wait = self.scan.backoff * 2 ** (attempt - 1)
                log.info("source %s: %s; retry %d of %d in %.1fs", source, exc.reason, attempt,
                         self.scan.retries, wait)
                time.sleep(wait)
        raise AssertionError("unreachable")

    def get(self, source: str, url: str, headers: dict | None = None, params: dict | None = None) -> Fetched:
        return self.request(source, "GET", url, params=params, headers=headers)

    def _once(self, source, method, url, params, headers, json) -> Fetched:
        try:
            with self.client.stream(method, url, params=params, headers=headers or {}, json=json) as resp:
                if resp.status_code >= 500:
                    raise _Retryable(f"HTTP {resp.status_code} from {url}")
                if resp.status_code >= 400:
                    raise SourceError(source, f"HTTP {resp.status_code} from {url}")
                declared = resp.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > self.max_bytes:
                    raise SourceError(source, f"response from {url} is larger than {self.max_bytes} bytes")
                chunks, size = [], 0
                for chunk in resp.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise SourceError(source, f"response from {url} is larger than {self.max_bytes} bytes")
                    chunks.append(chunk)
                return Fetched(resp.status_code, b"".join(chunks), resp.headers, str(resp.url))
        except httpx.TooManyRedirects:
            raise SourceError(source, f"too many redirects from {url}") from None
        except httpx.TimeoutException:
            raise _Retryable(f"timed out fetching {url}") from None
        except httpx.TransportError as exc:
            raise _Retryable(f"cannot fetch {url}: {type(exc).__name__}: {exc}") from None
        except httpx.HTTPError as exc:
            raise SourceError(source, f"cannot fetch {url}: {type(exc).__name__}: {exc}") from None


def make_http_client(scan: ScanConfig) -> Http:
    """The client `yuqing scan` and `yuqing run` share across sources."""
    return Http(scan)
