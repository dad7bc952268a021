"""Turns at a SQLite file's write lock between processes: one writer at a time, and a bulk ingester (yielding)
lets the serving process's transactions go first, but is never shut out."""
import multiprocessing
import threading
import time

import pytest
from sqlalchemy import text

from bot.db import make_engine
from bot.write_turns import LINGER, WriteTurns, write_turns


@pytest.fixture
def path(tmp_path) -> str:
    return str(tmp_path / "yuqing.db")


def test_one_writer_at_a_time_and_the_next_gets_the_turn_when_it_is_given(path):
    a, b = WriteTurns(path, False, timeout=5), WriteTurns(path, False, timeout=5)
    order: list[str] = []
    a.claim()
    a.take()

    def other() -> None:
        b.claim()
        b.take()
        order.append("b has it")
        b.give()
        b.unclaim()

    t = threading.Thread(target=other)
    t.start()
    time.sleep(0.1)
    order.append("a gives")
    a.give()
    a.unclaim()
    t.join(5)
    assert order == ["a gives", "b has it"]


def test_a_yielding_writer_waits_while_a_serving_writer_has_claimed_and_for_its_linger(path):
    serving, bulk = WriteTurns(path, False, timeout=5), WriteTurns(path, True, timeout=5, patience=30)
    serving.claim()  # waiting for, or holding, a turn: the bulk writer must not start a new one
    events: list[tuple[str, float]] = []

    def ingest() -> None:
        bulk.take()
        events.append(("bulk begins", time.monotonic()))
        bulk.give()

    t = threading.Thread(target=ingest)
    t.start()
    time.sleep(0.2)
    assert events == []  # free write lock, but a serving writer has claimed it
    serving.take()
    serving.give()
    released = time.monotonic()
    serving.unclaim()
    t.join(5)
    [(what, at)] = events
    assert what == "bulk begins" and at - released >= LINGER * 0.9  # a command's next transaction comes soon


def test_a_yielding_writer_is_not_shut_out_by_a_stream_of_serving_writers(path):
    serving, bulk = WriteTurns(path, False, timeout=5), WriteTurns(path, True, timeout=5, patience=0.2)
    serving.claim()  # never unclaimed in this test
    done = threading.Event()

    def ingest() -> None:
        bulk.take()
        done.set()
        bulk.give()

    t = threading.Thread(target=ingest)
    t.start()
    assert done.wait(5), "the bulk writer waited past its patience"
    t.join(5)
    serving.unclaim()


def test_in_memory_databases_take_no_turns():
    assert write_turns(":memory:", False, 5) is None and write_turns(None, False, 5) is None


def _bulk_writer(url: str, yielding: bool, started, log) -> None:
    engine = make_engine(url, yielding=yielding)
    started.set()
    with engine.begin() as conn:
        log.put(time.monotonic())
        conn.execute(text("INSERT INTO t VALUES (-1)"))
    engine.dispose()


@pytest.mark.parametrize("yielding", [True, False])
def test_a_bulk_ingest_process_waits_for_a_stream_of_serving_transactions(path, yielding):
    """Two real processes on one file. The serving engine runs short transactions 5 ms apart for half a second
    (a command's, a card's); a yielding engine in the other process begins only after the stream has ended
    (within its patience of a second); a serving one gets in between (the contrast, so the test can fail)."""
    url = f"sqlite:///{path}"
    serving = make_engine(url)
    with serving.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    ctx = multiprocessing.get_context("spawn")
    started, log = ctx.Event(), ctx.Queue()
    child = ctx.Process(target=_bulk_writer, args=(url, yielding, started, log))
    with serving.begin() as conn:  # the child asks for its turn while the stream is starting
        child.start()
        assert started.wait(30)
        time.sleep(0.1)
    end = time.monotonic() + 0.5
    while time.monotonic() < end:
        with serving.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
        time.sleep(0.005)
    stream_ended = time.monotonic()
    child.join(30)
    assert child.exitcode == 0
    began = log.get(timeout=5)
    assert (began >= stream_ended) is yielding
    serving.dispose()


def test_no_lock_files_beside_the_database_means_no_turns_not_a_failure(tmp_path, caplog):
    missing = tmp_path / "no-such-folder" / "yuqing.db"
    assert write_turns(str(missing), False, 5) is None
    assert "no write turns" in caplog.text
