"""A clock tests move by hand: no sleeping."""
from datetime import datetime, timedelta, timezone


class FakeClock:
    def __init__(self, start: datetime | None = None):
        self._now = start or datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)

    def now(self) -> datetime:
        return self._now

    def advance(self, **kw) -> datetime:
        self._now += timedelta(**kw)
        return self._now
