"""A message Feishu got its answer for is kept until handled: a crash in between loses nothing, a redelivery
is taken once."""
from sqlalchemy import func, select

from bot.models import Delivery, InboxEvent
from handlers.app import ChatOps
from handlers.http_server import HttpServer
from handlers.routes import build_routes
from handlers.worker import CommandWorker
from tests.builders.feishu_events import message_event
from tests.handlers.conftest import post


def count(rt, model, **where) -> int:
    with rt.sessions() as s:
        stmt = select(func.count()).select_from(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return s.scalar(stmt)


def test_a_message_answered_but_not_handled_is_handled_after_a_restart(chat_rt):
    # the first process answers Feishu and dies before its worker runs (the worker is never started)
    first = ChatOps(chat_rt)
    server = HttpServer("127.0.0.1", 0, build_routes(chat_rt, first)).start()
    doc = message_event("/help")
    try:
        assert post(server, doc).status_code == 200
        assert post(server, doc).status_code == 200  # Feishu redelivers: still one row
    finally:
        server.stop()
    assert count(chat_rt, InboxEvent, status="pending") == 1
    assert count(chat_rt, Delivery) == 0

    # the next process finds it and answers in the chat, once
    second = ChatOps(chat_rt)
    assert second.worker.drain() == 1
    assert count(chat_rt, InboxEvent, status="done") == 1
    replies = count(chat_rt, Delivery)
    assert replies == 1
    assert second.worker.drain() == 0 and count(chat_rt, Delivery) == replies


def test_a_message_that_keeps_failing_is_set_aside_not_retried_forever(chat_rt):
    calls = []

    def broken(event):
        calls.append(event.event_id)
        raise RuntimeError("handler bug")

    worker = CommandWorker(broken, chat_rt.sessions, chat_rt.clock)
    worker.submit(_parsed(message_event("/status")))
    worker.drain()
    assert len(calls) == 3
    assert count(chat_rt, InboxEvent, status="failed") == 1


def _parsed(doc):
    from bot.feishu.events import parse_event

    return parse_event(doc)


def test_an_unreachable_database_is_one_log_line_not_a_traceback_per_poll(caplog):
    import logging
    import time

    from bot.clock import SystemClock
    from bot.db import make_engine, make_session_factory
    from handlers.worker import CommandWorker

    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:9/none")  # refused, every time
    worker = CommandWorker(lambda event: None, make_session_factory(engine), SystemClock(), poll=0.05)
    with caplog.at_level(logging.DEBUG, logger="handlers.worker"):
        worker.start()
        time.sleep(2.0)  # dozens of polls' worth
        worker.stop()
    engine.dispose()
    lines = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert len(lines) == 1 and "chat inbox worker failing: OperationalError" in lines[0].getMessage()
    assert lines[0].exc_info is None
