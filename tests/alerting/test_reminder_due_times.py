"""The reminder tick reads only incidents whose `remind_at` has come: the first card being sent, a reopening and a
restart with another repeat interval mark the incident, so its reminder still goes out on time (each test here
fails if its path forgot the mark); after a tick the stored time is the exact next reminder."""
import itertools
from datetime import datetime, timedelta, timezone

from bot.alerting.notify import ChangeKind
from bot.alerting.policy import NotifyReason, Timing, next_reminder_at, reminder_reason
from bot.db import transaction
from bot.incidents.actions import Actor, IncidentActions
from bot.models import Incident
from jobs.remind import remind_due
from jobs.scheduler import build_scheduler
from tests.alerting.conftest import ALERTING, CRISIS, ON_CALL, Incidents, run_worker

ONE = Actor(ON_CALL, "值班张三", CRISIS, "command")


def _remind_at(rt, iid):
    with rt.sessions() as s:
        return s.get(Incident, iid).remind_at


def test_the_first_card_sent_starts_the_reminder_clock(rt, incidents, client, feishu, clock):
    iid = incidents.open("重大")
    assert remind_due(rt).reminded == 0  # looked at before its card went out: nothing can fall due yet
    assert _remind_at(rt, iid) is None
    run_worker(rt, client, clock, seconds=30)  # the worker posts the card
    [card] = feishu.in_chat(CRISIS)
    clock.advance(minutes=30)
    assert remind_due(rt).reminded == 1
    assert _remind_at(rt, iid) == clock.now() + timedelta(minutes=30)
    run_worker(rt, client, clock)
    assert len(feishu.replies_to(card.message_id)) == 1


def test_a_reopened_incident_is_reminded_again(rt, incidents, client, feishu, clock):
    iid = incidents.open("重大")
    run_worker(rt, client, clock, seconds=30)
    svc = IncidentActions(rt.config)
    with transaction(rt.sessions) as s:
        svc.resolve(s, iid, ONE, clock.now())
    clock.advance(minutes=30)
    assert remind_due(rt).reminded == 0
    assert _remind_at(rt, iid) is None
    clock.advance(hours=2)
    with transaction(rt.sessions) as s:
        svc.reopen(s, iid, ONE, clock.now())
    assert remind_due(rt).reminded == 1  # unacknowledged again, its card out for hours


def test_an_acknowledgement_stops_the_reminders_and_stores_nothing_due(rt, incidents, client, clock):
    iid = incidents.open("重大")
    run_worker(rt, client, clock, seconds=30)
    remind_due(rt)
    assert _remind_at(rt, iid) == clock.now() + timedelta(minutes=30)
    incidents.change(iid, ChangeKind.STATE, actor=ON_CALL, state="acknowledged", acknowledged_by=ON_CALL)
    clock.advance(hours=2)
    assert remind_due(rt).reminded == 0
    assert _remind_at(rt, iid) is None


def test_a_start_looks_again_with_the_new_repeat_interval(make_runtime, feishu, client, clock):
    config = {"feishu": {"domain": feishu.url, "timeout": 1}, "alerting": ALERTING,
              "team": {"members": [{"open_id": ON_CALL, "name": "值班张三"}]}}
    first = make_runtime(config)
    Incidents(first).open("重大")
    run_worker(first, client, clock, seconds=30)
    remind_due(first)
    first.close()
    second = make_runtime({**config, "alerting": {**ALERTING, "repeat_interval": 600}})
    build_scheduler(second, None)
    clock.advance(minutes=10)
    assert remind_due(second).reminded == 1


def test_the_next_reminder_is_when_reminder_reason_first_says_repeat():
    t0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
    checked = 0
    for state, sent, pinged, repeat in itertools.product(("triggered", "acknowledged"), (None, 0, 7), (None, 3, 40),
                                                         (0, 600, 1800)):
        t = Timing(timedelta(0), timedelta(0), timedelta(seconds=repeat), 10)
        card = None if sent is None else t0 + timedelta(minutes=sent)
        ping = None if pinged is None else t0 + timedelta(minutes=pinged)
        nxt = next_reminder_at(state, card, ping, t)
        for m in range(0, 180):
            now = t0 + timedelta(minutes=m, seconds=30 * (m % 2))
            due = reminder_reason(state, card, ping, now, t) is NotifyReason.REPEAT
            assert due == (nxt is not None and now >= nxt), (state, sent, pinged, repeat, m)
            checked += 1
    assert checked > 5000
