"""A stored inbox or outbox row wakes its worker at once; polling is only the fallback; replies go first."""
import threading
import time
import uuid

import pytest
from sqlalchemy import create_engine

from bot.alerting import outbox
from bot.alerting.kinds import Outbound
from bot.alerting.pipeline import Outgoing, submit
from bot.db import make_session_factory, transaction
from bot.feishu.client import FeishuClient
from bot.wakeup import INBOX, OUTBOX, Listener, Signals
from jobs.deliver import DeliveryWorker
from tests.builders.feishu_events import message_event
from tests.handlers.conftest import post, wait_for

NO_POLL = 3600.0  # the fallback poll is out of reach: only a wake-up can explain a prompt delivery


def _queue(rt, kind: Outbound, text: str, **kw) -> int:
    with transaction(rt.sessions) as s:
        [row] = submit(s, rt.config, Outgoing(kind, chats=("oc_crisis",), text=text, key=(text,), **kw), rt.clock.now())
        s.flush()
        return row.id


def _reply_row(rt, text: str = "hi", reply_to: str = "om_root") -> int:
    return _queue(rt, Outbound.COMMAND_REPLY, text, reply_to=reply_to)


def test_a_stored_delivery_wakes_the_delivery_worker(chat_rt, client, feishu):
    worker = DeliveryWorker(chat_rt, client, poll=NO_POLL).start()
    try:
        time.sleep(0.2)  # the worker has done its first pass and is waiting
        _queue(chat_rt, Outbound.OPS_NOTICE, "wake up")
        wait_for(lambda: any("wake up" in m.text for m in feishu.in_chat("oc_crisis")), timeout=5)
    finally:
        worker.stop()


def test_a_command_is_answered_without_waiting_for_a_poll(intake, chat_rt, client, feishu):
    server, chat = intake
    worker = DeliveryWorker(chat_rt, client, poll=NO_POLL).start()
    try:
        # the user's message, as the chat holds it (the fake only answers replies to messages it has)
        said = client.send("oc_crisis", "text", {"text": "@bot /help"}, uuid.uuid4().hex).message_id
        time.sleep(0.2)
        assert post(server, message_event("/help", message_id=said)).status_code == 200
        reply = wait_for(lambda: feishu.replies_to(said), timeout=5)
    finally:
        worker.stop()
    assert "/ack" in reply[0].text


def test_replies_are_claimed_before_queued_cards(chat_rt):
    for i in range(30):
        _queue(chat_rt, Outbound.OPS_NOTICE, f"notice {i}")
    reply_id = _reply_row(chat_rt)
    claimed = outbox.claim_due(chat_rt.sessions, chat_rt.clock.now(), limit=5)
    assert claimed[0].id == reply_id and [c.kind for c in claimed[1:]] == ["ops_notice"] * 4
    assert [c.id for c in claimed[1:]] == sorted(c.id for c in claimed[1:])  # then oldest first


def test_a_rolled_back_row_wakes_nobody(chat_rt):
    from bot.wakeup import SIGNALS

    ev = SIGNALS.subscribe(OUTBOX)
    try:
        with pytest.raises(RuntimeError):
            with transaction(chat_rt.sessions) as s:
                submit(s, chat_rt.config, Outgoing(Outbound.OPS_NOTICE, chats=("oc_x",), text="x"), chat_rt.clock.now())
                s.flush()
                raise RuntimeError("changed my mind")
        assert not ev.is_set()
        _reply_row(chat_rt)
        assert ev.is_set()
    finally:
        SIGNALS.unsubscribe(OUTBOX, ev)


def test_rows_written_elsewhere_wake_a_listener_through_postgresql(chat_rt):
    if chat_rt.engine.dialect.name != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    signals = Signals()  # not the process's own: only the NOTIFY path can set these
    out, inbox = signals.subscribe(OUTBOX), signals.subscribe(INBOX)
    listener = Listener(chat_rt.loaded.database_url, signals=signals).start()
    try:
        assert listener.connected.wait(5)
        time.sleep(0.1)
        out.clear(), inbox.clear()
        other = create_engine(chat_rt.loaded.database_url)  # as another replica would write it
        _reply_row(type("Rt", (), {"sessions": make_session_factory(other), "clock": chat_rt.clock,
                                   "config": chat_rt.config})())
        assert out.wait(5) and not inbox.is_set()
        other.dispose()
    finally:
        listener.stop()
