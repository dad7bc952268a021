"""Periodic jobs shared by replicas: each run of a job (a source's scan, the reminder tick, …) is claimed by
exactly one process through a row of `job_leases`.

Every replica ticks every job often (a few seconds) and tries to claim it with one conditional UPDATE: the
claim succeeds only when the job is due and nobody holds a live lease on it, and it moves `next_due_at` one
interval on, so across the fleet the job runs once per interval. The holder renews its lease while the job
runs; when it finishes it releases the lease and stamps `finished_at`. A holder that dies (kill -9, a lost
host) stops renewing: once its lease lapses the unfinished run is claimable again at once, so another
replica redoes it within `ttl` + one tick. Why a lease row and not advisory-lock leadership: it needs no
connection held for the life of the process (advisory locks are per session, so a connection pooler or a
dropped connection silently ends them), it spreads jobs over replicas instead of giving all to one leader,
and the table shows who runs what (`yuqing jobs`). On SQLite (one process) the same rows simply schedule.
"""
import logging
import os
import random
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.models import JobLease
from bot.outage import Outage

log = logging.getLogger(__name__)

TTL = timedelta(seconds=15)
RENEW_EVERY = 5.0


def holder_id() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Leases:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock, holder: str | None = None, ttl: timedelta = TTL):
        self.sessions, self.clock = sessions, clock
        self.holder = holder or holder_id()
        self.ttl = ttl
        self._held: set[str] = set()
        self._lock = threading.Lock()
        self._outage = Outage("job leases (database)", log)
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def _ensure(self, session: Session, name: str) -> None:
        if session.get(JobLease, name) is not None:
            return
        try:
            with session.begin_nested():
                session.add(JobLease(name=name, next_due_at=self.clock.now(), runs=0))
        except IntegrityError:
            pass  # another replica made it first

    def try_claim(self, name: str, every: timedelta, jitter: float = 0.0) -> bool:
        """Claim this run of `name` if it is due (or its last run died unfinished) and nobody holds it."""
        now = self.clock.now()
        with self.sessions() as session, session.begin():
            self._ensure(session, name)
            unfinished = and_(JobLease.started_at.is_not(None),
                              or_(JobLease.finished_at.is_(None), JobLease.finished_at < JobLease.started_at))
            result = session.execute(
                update(JobLease)
                .where(JobLease.name == name,
                       or_(JobLease.lease_until.is_(None), JobLease.lease_until < now),
                       or_(JobLease.next_due_at <= now, unfinished))
                .values(holder=self.holder, lease_until=now + self.ttl, started_at=now, runs=JobLease.runs + 1,
                        next_due_at=now + every + timedelta(seconds=random.uniform(0, jitter)))
                .execution_options(synchronize_session=False))
            return bool(getattr(result, "rowcount", 0) == 1)

    def release(self, name: str) -> None:
        now = self.clock.now()
        with self.sessions() as session, session.begin():
            session.execute(update(JobLease).where(JobLease.name == name, JobLease.holder == self.holder)
                            .values(lease_until=None, finished_at=now).execution_options(synchronize_session=False))

    def renew(self) -> None:
        with self._lock:
            names = sorted(self._held)
        if not names:
            return
        now = self.clock.now()
        with self.sessions() as session, session.begin():
            session.execute(update(JobLease).where(JobLease.name.in_(names), JobLease.holder == self.holder)
                            .values(lease_until=now + self.ttl).execution_options(synchronize_session=False))

    def run_exclusive(self, name: str, every: timedelta, fn: Callable[..., object], *args: object,
                      jitter: float = 0.0) -> bool:
        """Run `fn(*args)` here if this replica wins this run of `name`; False when it is not due or held elsewhere.
        A database outage is logged once (then "recovered"), not raised at the scheduler every tick."""
        try:
            claimed = self.try_claim(name, every, jitter)
            self._outage.ok()
        except Exception as exc:
            self._outage.failed(exc)
            return False
        if not claimed:
            return False
        self._start_renewer()
        with self._lock:
            self._held.add(name)
        try:
            fn(*args)
        finally:
            with self._lock:
                self._held.discard(name)
            try:
                self.release(name)
            except Exception as exc:  # the lease lapses by itself; the run counts as unfinished and is redone
                self._outage.failed(exc)
        return True

    def _start_renewer(self) -> None:
        with self._lock:
            if self._renewer is not None:
                return
            self._renewer = threading.Thread(target=self._renew_loop, name="lease-renewer", daemon=True)
            self._renewer.start()

    def _renew_loop(self) -> None:
        while not self._stop.wait(RENEW_EVERY):
            try:
                self.renew()
            except Exception as exc:
                self._outage.failed(exc)

    def stop(self) -> None:
        self._stop.set()

    def table(self) -> list[JobLease]:
        with self.sessions() as session:
            return list(session.scalars(select(JobLease).order_by(JobLease.name)))
