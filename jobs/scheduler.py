"""The APScheduler that runs the bot: one job per enabled source that is fetched, plus the delivery worker.

Each source job runs on the source's own interval with its jitter, has max_instances=1 (a source is
never scanned twice at once) and coalesce=True (runs missed while busy or stopped collapse into one);
webhook sources are pushed to, so they have no job. Shutdown waits for running jobs, whose work is
committed per source, so Ctrl-C or SIGTERM loses nothing that was stored.
"""
import logging
import signal
import threading

from apscheduler.schedulers.background import BackgroundScheduler

from bot.runtime import Runtime
from jobs.deliver import Sink, deliver_due
from jobs.remind import remind_due
from jobs.digest import send_digest
from jobs.escalate import run_escalations
from jobs.silences import release_silences
from jobs.follow_up import run_follow_ups
from jobs.http import Http
from jobs.scan import scan_source
from jobs.sources import FETCHERS

log = logging.getLogger(__name__)

DELIVER_EVERY = 2
REMIND_EVERY = 60
ESCALATE_EVERY = 30
FOLLOW_UP_EVERY = 300


def build_scheduler(rt: Runtime, http: Http, sink: Sink) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="Asia/Shanghai",
                                    job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 60})
    now = rt.clock.now()
    for spec in rt.config.sources:
        if not spec.enabled or spec.kind not in FETCHERS:
            continue
        scheduler.add_job(scan_source, "interval", args=(rt, spec, http), seconds=spec.interval,
                          jitter=spec.jitter, id=f"scan:{spec.name}", next_run_time=now,
                          name=f"scan {spec.name}")
    scheduler.add_job(deliver_due, "interval", args=(rt, sink), seconds=DELIVER_EVERY, id="deliver",
                      next_run_time=now, name="deliver")
    scheduler.add_job(remind_due, "interval", args=(rt,), seconds=REMIND_EVERY, id="remind",
                      next_run_time=now, name="remind unacknowledged incidents")
    scheduler.add_job(run_escalations, "interval", args=(rt,), seconds=ESCALATE_EVERY, id="escalate",
                      next_run_time=now, name="escalate missed response deadlines")
    scheduler.add_job(release_silences, "interval", args=(rt,), seconds=ESCALATE_EVERY, id="silences",
                      next_run_time=now, name="release what ended silences held back")
    if rt.config.response.follow_up.enabled:  # each update is once per follow_up interval; this only polls
        scheduler.add_job(run_follow_ups, "interval", args=(rt,), seconds=FOLLOW_UP_EVERY, id="follow-up",
                          next_run_time=now, name="follow-up updates and resurgence")
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
