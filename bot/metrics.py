"""Prometheus metrics, served at GET /metrics.

Counters and histograms are this process's (Prometheus adds the replicas up); the outbox and source-health
gauges are read from the database at scrape time, so every replica reports the same fleet-wide values.
"""
from collections.abc import Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.models import Delivery, Source

REGISTRY = CollectorRegistry()
ITEMS_FETCHED = Counter("yuqing_items_fetched", "Entries fetched from a source", ["source"], registry=REGISTRY)
ITEMS_STORED = Counter("yuqing_items_stored", "New items stored from a source", ["source"], registry=REGISTRY)
SCANS = Counter("yuqing_scans", "Scans of a source by result (ok, failed)", ["source", "result"], registry=REGISTRY)
SCAN_SECONDS = Histogram("yuqing_scan_duration_seconds", "Time of one scan of a source", ["source"],
                         buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300), registry=REGISTRY)
ITEMS_ANALYSED = Counter("yuqing_items_analysed", "Items analysed, graded and grouped", registry=REGISTRY)
ANALYSIS_SECONDS = Counter("yuqing_analysis_seconds", "Time spent storing, analysing and grouping items "
                           "(items analysed / this = the analysis rate)", registry=REGISTRY)
DELIVERIES = Counter("yuqing_deliveries", "Delivery attempts by kind and result (sent, retry, failed, deferred, "
                     "dropped)", ["kind", "result"], registry=REGISTRY)
REPLY_SECONDS = Histogram("yuqing_event_to_reply_seconds", "From a chat command's arrival to its reply sent",
                          buckets=(0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 3, 5, 10, 30, 60), registry=REGISTRY)


class DatabaseGauges(Collector):
    """The outbox's depth and age and each source's health, read at scrape time."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock):
        self.sessions, self.clock = sessions, clock

    def collect(self) -> Iterator[Metric]:
        now = self.clock.now()
        with self.sessions() as session:
            depth = dict(session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
            oldest: datetime | None = session.scalar(select(func.min(Delivery.created_at))
                                                     .where(Delivery.status == "pending"))
            sources = list(session.scalars(select(Source).order_by(Source.name)))
        outbox = GaugeMetricFamily("yuqing_outbox_deliveries", "Outbox rows by status", labels=["status"])
        for status, n in sorted(depth.items()):
            outbox.add_metric([status], n)
        yield outbox
        age = (now - oldest).total_seconds() if oldest is not None else 0.0
        yield GaugeMetricFamily("yuqing_outbox_oldest_pending_seconds", "Age of the oldest pending delivery",
                                value=max(age, 0.0))
        down = GaugeMetricFamily("yuqing_source_down", "1 when a source is reported down", labels=["source"])
        failures = GaugeMetricFamily("yuqing_source_consecutive_failures", "Failed scans in a row", labels=["source"])
        since = GaugeMetricFamily("yuqing_source_seconds_since_success", "Seconds since the last good scan "
                                  "(absent before the first)", labels=["source"])
        for s in sources:
            down.add_metric([s.name], 1.0 if s.is_down else 0.0)
            failures.add_metric([s.name], s.consecutive_failures)
            if s.last_success_at is not None:
                since.add_metric([s.name], (now - s.last_success_at).total_seconds())
        yield down
        yield failures
        yield since


def exposition(sessions: sessionmaker[Session], clock: Clock) -> bytes:
    """The text exposition of every metric, the database gauges read now."""
    registry = CollectorRegistry()
    registry.register(_Process())
    registry.register(DatabaseGauges(sessions, clock))
    return generate_latest(registry)


class _Process(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()
