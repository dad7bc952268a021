"""Job leases: one run per interval across replicas; a dead holder's unfinished run is taken over."""
from datetime import timedelta

import pytest

from bot.db import make_engine, make_session_factory
from bot.leases import Leases
from bot.models import JobLease

MINUTE = timedelta(minutes=1)


@pytest.fixture
def pair(db_url, clock):
    engine = make_engine(db_url)
    sessions = make_session_factory(engine)
    yield Leases(sessions, clock, holder="a"), Leases(sessions, clock, holder="b")
    engine.dispose()


def test_one_claim_per_interval_across_holders(pair, clock):
    a, b = pair
    assert a.try_claim("scan:x", MINUTE)
    assert not b.try_claim("scan:x", MINUTE)  # held
    a.release("scan:x")
    assert not b.try_claim("scan:x", MINUTE) and not a.try_claim("scan:x", MINUTE)  # done, not due yet
    clock.advance(seconds=59)
    assert not b.try_claim("scan:x", MINUTE)
    clock.advance(seconds=2)
    assert b.try_claim("scan:x", MINUTE) and not a.try_claim("scan:x", MINUTE)
    assert a.try_claim("remind", MINUTE)  # jobs are independent


def test_a_dead_holders_run_is_taken_over_once_its_lease_lapses(pair, clock):
    a, b = pair
    assert a.try_claim("scan:x", timedelta(hours=1))  # and then a is killed: no renew, no release
    clock.advance(seconds=10)
    assert not b.try_claim("scan:x", timedelta(hours=1))
    clock.advance(seconds=6)  # past the 15 s lease, long before the hour
    assert b.try_claim("scan:x", timedelta(hours=1))
    b.release("scan:x")
    a.release("scan:x")  # a late release by the old holder changes nothing
    with b.sessions() as s:
        row = s.get(JobLease, "scan:x")
    assert row.holder == "b" and row.runs == 2 and row.finished_at is not None


def test_renewal_keeps_a_long_run_held(pair, clock):
    a, b = pair
    ran = []

    def long_job():
        for _ in range(4):
            clock.advance(seconds=10)
            a.renew()
            assert not b.try_claim("scan:x", MINUTE)
        ran.append(1)

    assert a.run_exclusive("scan:x", MINUTE, long_job)
    assert ran == [1] and not b.try_claim("scan:x", MINUTE)


def test_an_unreachable_database_is_a_skipped_tick_not_an_error(clock, caplog):
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:9/none")
    leases = Leases(make_session_factory(engine), clock)
    assert leases.run_exclusive("scan:x", MINUTE, lambda: None) is False
    assert leases.run_exclusive("scan:x", MINUTE, lambda: None) is False
    lines = [r for r in caplog.records if "job leases" in r.getMessage()]
    assert len(lines) == 1 and "OperationalError" in lines[0].getMessage()
    engine.dispose()
