"""The APScheduler that runs the bot: one job per enabled source that is fetched, and the periodic response jobs.

The delivery worker is not a scheduled job: it is woken as soon as a delivery is stored (jobs.deliver).

Each source job runs on the source's own interval with its jitter, has max_instances=1 (a source is
never scanned twice at once) and coalesce=True (runs missed while busy or stopped collapse into one);
webhook sources are pushed to, so they have no job. Shutdown waits for running jobs, whose work is
committed per source, so Ctrl-C or SIGTERM loses nothing that was stored.
"""
import logging
import signal
import threading
import time

from apscheduler.schedulers.background import BackgroundScheduler

from bot.runtime import Runtime
from jobs.remind import remind_due
from jobs.digest import send_digest
from jobs.escalate import run_escalations
from jobs.follow_up import run_follow_ups
from jobs.http import Http
from jobs.scan import scan_source
from jobs.sources import FETCHERS

log = logging.getLogger(__name__)

REMIND_EVERY = 60
ESCALATE_EVERY = 30
FOLLOW_UP_EVERY = 300


class Heartbeat:
    """Beats from a scheduler job, so readiness can tell a running scheduler from a wedged one."""

    EVERY = 5
    STALE_AFTER = 60.0

    def __init__(self) -> None:
        self.last: float | None = None

    def beat(self) -> None:
        self.last = time.monotonic()

    def problem(self) -> str | None:
        if self.last is None:
            return "scheduler not started"
        late = time.monotonic() - self.last
        return f"scheduler silent for {late:.0f} s" if late > self.STALE_AFTER else None


def build_scheduler(rt: Runtime, http: Http, heartbeat: Heartbeat | None = None) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="Asia/Shanghai",
                                    job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 60})
    now = rt.clock.now()
    for spec in rt.config.sources:
        if not spec.enabled or spec.kind not in FETCHERS:
            continue
        scheduler.add_job(scan_source, "interval", args=(rt, spec, http), seconds=spec.interval,
                          jitter=spec.jitter, id=f"scan:{spec.name}", next_run_time=now,
                          name=f"scan {spec.name}")
    scheduler.add_job(remind_due, "interval", args=(rt,), seconds=REMIND_EVERY, id="remind",
                      next_run_time=now, name="remind unacknowledged incidents")
    scheduler.add_job(run_escalations, "interval", args=(rt,), seconds=ESCALATE_EVERY, id="escalate",
                      next_run_time=now, name="escalate missed response deadlines")
    if rt.config.response.follow_up.enabled:  # each update is once per follow_up interval; this only polls
        scheduler.add_job(run_follow_ups, "interval", args=(rt,), seconds=FOLLOW_UP_EVERY, id="follow-up",
                          next_run_time=now, name="follow-up updates and resurgence")
    if heartbeat is not None:
        scheduler.add_job(heartbeat.beat, "interval", seconds=Heartbeat.EVERY, id="heartbeat", next_run_time=now,
                          name="heartbeat")
    digest = rt.config.response.digest
    if digest.enabled:  # at the configured local time; a start after it sends that day's digest late, once
        hour, minute = map(int, digest.time.split(":"))
        scheduler.add_job(send_digest, "cron", args=(rt,), hour=hour, minute=minute, id="digest",
                          timezone=rt.config.response.timezone, name="daily digest")
        scheduler.add_job(send_digest, "date", args=(rt,), run_date=now, id="digest:catch-up",
                          name="daily digest (catch up)")
    return scheduler


def run_until_stopped(scheduler: BackgroundScheduler, stop: threading.Event | None = None) -> None:
    """Start, wait for SIGINT/SIGTERM (or `stop`), then shut down cleanly, letting running jobs finish."""
    stop = stop or threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda signum, _frame: stop.set())
    scheduler.start()
    log.info("running %d jobs; Ctrl-C or SIGTERM stops", len(scheduler.get_jobs()))
    try:
        while not stop.wait(0.5):
            pass
    finally:
        log.info("stopping: waiting for running jobs to finish")
        scheduler.shutdown(wait=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        log.info("stopped")
