"""The HTTP client every source shares: user agent, timeouts, a cap on body size."""
from dataclasses import dataclass

import httpx

from bot.config.sources import ScanConfig
from bot.errors import SourceError


@dataclass(frozen=True)
class Fetched:
    status: int
    content: bytes
    headers: httpx.Headers
    url: str


def make_http_client(scan: ScanConfig) -> httpx.Client:
    return httpx.Client(
        headers={"User-Agent": scan.user_agent},
        timeout=httpx.Timeout(scan.timeout),
        follow_redirects=True,
        max_redirects=5,
    )


def get(client: httpx.Client, source: str, url: str, max_bytes: int, headers: dict | None = None) -> Fetched:
    """GET a URL, reading at most `max_bytes`; every failure becomes a SourceError naming the source."""
    try:
        with client.stream("GET", url, headers=headers or {}) as resp:
            if resp.status_code >= 400:
                raise SourceError(source, f"HTTP {resp.status_code} from {url}")
            chunks, size = [], 0
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise SourceError(source, f"response from {url} is larger than {max_bytes} bytes")
                chunks.append(chunk)
            return Fetched(resp.status_code, b"".join(chunks), resp.headers, str(resp.url))
    except httpx.TooManyRedirects:
        raise SourceError(source, f"too many redirects from {url}") from None
    except httpx.TimeoutException:
        raise SourceError(source, f"timed out fetching {url}") from None
    except httpx.HTTPError as exc:
        raise SourceError(source, f"cannot fetch {url}: {type(exc).__name__}: {exc}") from None
