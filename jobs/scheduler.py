"""The APScheduler that runs the bot: one job per enabled source that is fetched, the periodic response jobs,
and (SQLite) an hourly refresh of the planner statistics.

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
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from bot.leases import Leases
from bot.migrate import optimize
from bot.models.due import recheck_open
from bot.runtime import Runtime
from jobs.remind import remind_due
from jobs.digest import send_digest
from jobs.repair import run_repair
from jobs.retention import purge_community_text
from jobs.risk import refresh_risk
from jobs.escalate import run_escalations
from jobs.silences import release_silences
from jobs.follow_up import run_follow_ups
from jobs.http import Http
from jobs.ingest_process import IngestProcess
from jobs.scan import scan_source
from jobs.sources import FETCHERS

log = logging.getLogger(__name__)

TICK = 5  # seconds between a replica's tries at a job: bounds how late a dead holder's job is taken over
REMIND_EVERY = 60
ESCALATE_EVERY = 30
FOLLOW_UP_EVERY = 300
REPAIR_EVERY = 600
RETENTION_EVERY = 3600
OPTIMIZE_EVERY = 3600


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


def build_scheduler(rt: Runtime, http: Http, heartbeat: Heartbeat | None = None,
                    leases: Leases | None = None, scanner: IngestProcess | None = None) -> BackgroundScheduler:
    """Every job ticks every TICK seconds on every replica and runs only when it wins its lease (bot.leases):
    each source is scanned once per its interval across the fleet, each response job once per its period.
    With `scanner`, what the scans fetch is analysed and stored in its child process."""
    leases = leases or Leases(rt.sessions, rt.clock)
    scheduler = BackgroundScheduler(timezone="Asia/Shanghai",
                                    job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 60})
    now = rt.clock.now()
    with rt.sessions() as session, session.begin():
        recheck_open(session)

    def shared(job_id: str, every: float, fn, *args, name: str, jitter: float = 0.0, tick: float = TICK) -> None:
        scheduler.add_job(leases.run_exclusive, "interval", args=(job_id, timedelta(seconds=every), fn, *args),
                          kwargs={"jitter": jitter}, seconds=min(tick, every), id=job_id, next_run_time=now,
                          name=name)

    for spec in rt.config.sources:
        if not spec.enabled or spec.kind not in FETCHERS:
            continue
        # with a scanner the fetch stays here (several sources at once), and the child analyses and stores
        shared(f"scan:{spec.name}", spec.interval, scan_source, rt, spec, http,
               scanner.store_fetched if scanner is not None else None, jitter=spec.jitter, name=f"scan {spec.name}")
    shared("remind", REMIND_EVERY, remind_due, rt, name="remind unacknowledged incidents")
    shared("escalate", ESCALATE_EVERY, run_escalations, rt, name="escalate missed response deadlines")
    shared("silences", ESCALATE_EVERY, release_silences, rt, name="release what ended silences held back")
    if rt.config.response.follow_up.enabled:  # each update is once per follow_up interval; this only polls
        shared("follow-up", FOLLOW_UP_EVERY, run_follow_ups, rt, name="follow-up updates and resurgence")
    if rt.engine.dialect.name == "sqlite":  # statistics follow the data, so the planner keeps its index choices
        scheduler.add_job(optimize, "interval", args=(rt.engine,), seconds=OPTIMIZE_EVERY, id="optimize",
                          name="refresh SQLite statistics")
    if heartbeat is not None:
        scheduler.add_job(heartbeat.beat, "interval", seconds=Heartbeat.EVERY, id="heartbeat", next_run_time=now,
                          name="heartbeat")
    digest = rt.config.response.digest
    if digest.enabled:  # at the configured local time; a start after it sends that day's digest late, once
        hour, minute = map(int, digest.time.split(":"))
        once = ("digest", timedelta(minutes=5), send_digest, rt)  # one replica sends; the digest's key does the rest
        scheduler.add_job(leases.run_exclusive, "cron", args=once, hour=hour, minute=minute, id="digest",
                          timezone=rt.config.response.timezone, name="daily digest")
        scheduler.add_job(leases.run_exclusive, "date", args=once, run_date=now, id="digest:catch-up",
                          name="daily digest (catch up)")
    if rt.config.repair.enabled:
        scheduler.add_job(run_repair, "interval", args=(rt,), seconds=REPAIR_EVERY, id="repair",
                          next_run_time=now, name="trust repair after statements")
    scheduler.add_job(purge_community_text, "interval", args=(rt,), seconds=RETENTION_EVERY, id="retention",
                      next_run_time=now, name="community message retention")
    if rt.config.watchlist.entities:
        scheduler.add_job(refresh_risk, "interval", args=(rt,), minutes=rt.config.watchlist.risk.interval_minutes,
                          id="risk", next_run_time=now, name="risk index of watched entities")
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
