"""Helpers for source tests: a fast HTTP policy (no backoff waits) and fetch contexts."""
from pathlib import Path

import pytest

from bot.config.sources import ScanConfig
from jobs.http import Http
from jobs.sources.base import FetchContext
from tests.conftest import REPO

FIXTURES = REPO / "tests/fixtures"


def fast_scan(**kw) -> ScanConfig:
    return ScanConfig(**{"timeout": 2, "retries": 0, "backoff": 0, **kw})


@pytest.fixture
def http():
    with Http(fast_scan()) as client:
        yield client


def context(http: Http, base_dir: Path = FIXTURES, **kw) -> FetchContext:
    return FetchContext(http, base_dir, **kw)
