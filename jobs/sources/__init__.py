"""One fetcher per scanned source kind: (spec, FetchContext) → FetchResult. Webhook sources are pushed, not fetched."""
from collections.abc import Callable
from typing import Any

from jobs.sources.base import FetchContext, FetchResult
from jobs.sources.files import fetch_files
from jobs.sources.html import fetch_html
from jobs.sources.json_api import fetch_json
from jobs.sources.rss import fetch_rss

FETCHERS: dict[str, Callable[[Any, FetchContext], FetchResult]] = {
    "rss": fetch_rss, "json": fetch_json, "html": fetch_html, "file": fetch_files}
