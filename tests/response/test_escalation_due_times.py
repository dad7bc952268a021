"""The escalation tick reads only incidents whose `escalate_at` has come: every write that can bring a step forward
marks the incident, so the step still fires at its time (each test here fails if its path forgot the mark), and
the stored time is the exact next step once a tick has looked."""
import itertools
from datetime import timedelta

from sqlalchemy import select

from bot.db import transaction
from bot.grades import Grade
from bot.incidents.actions import Actor, IncidentActions
from bot.incidents.deadlines import (IncidentSnapshot, Policy, deadlines_for, due_escalations, next_escalation_at,
                                     step_key)
from bot.config import Config
from bot.models import Escalation, Incident
from bot.rota import OnCall
from jobs.escalate import run_escalations
from jobs.scheduler import build_scheduler
from tests.response.conftest import CONFIG, START, make_incident, minutes

ZHANG = Actor("ou_alice", "张三", "oc_crisis", "command")


def _open(rt, **kw) -> int:
    with transaction(rt.sessions) as s:
        return make_incident(s, rt.clock.now(), **kw).id


def _steps(rt, iid) -> list[str]:
    with rt.sessions() as s:
        return [k.split("@")[0] for k in s.scalars(select(Escalation.step).where(Escalation.incident_id == iid)
                                                   .order_by(Escalation.id))]


def _escalate_at(rt, iid):
    with rt.sessions() as s:
        return s.get(Incident, iid).escalate_at


def _at(clock, start, m: float) -> None:
    clock._now = start + minutes(m)


def test_a_tick_stores_the_exact_next_step_and_nothing_once_closed(rt, clock):
    iid = _open(rt)  # 重大: ack 15 min, steps at +0, +10, +20; assess 60, statement 120, steps at +0, +10
    assert _escalate_at(rt, iid) == START  # a new incident is looked at at once
    run_escalations(rt)
    assert _escalate_at(rt, iid) == START + minutes(15)
    _at(clock, START, 15)
    run_escalations(rt)
    assert _steps(rt, iid) == ["ack.1"] and _escalate_at(rt, iid) == START + minutes(25)
    svc = IncidentActions(rt.config)
    with transaction(rt.sessions) as s:
        svc.resolve(s, iid, ZHANG, clock.now())
    assert _escalate_at(rt, iid) <= clock.now()
    run_escalations(rt)
    assert _escalate_at(rt, iid) is None


def test_a_regrade_up_brings_the_ack_steps_forward(rt, clock):
    iid = _open(rt, grade="一般")  # ack within 60 min
    run_escalations(rt)
    assert _escalate_at(rt, iid) == START + minutes(60)
    _at(clock, START, 5)
    with transaction(rt.sessions) as s:
        IncidentActions(rt.config).regrade(s, iid, ZHANG, Grade.MAJOR, clock.now())
    _at(clock, START, 19)
    run_escalations(rt)
    assert _steps(rt, iid) == []
    _at(clock, START, 20)  # 重大's 15 minutes count from the regrade
    run_escalations(rt)
    assert _steps(rt, iid) == ["ack.1"]


def test_a_reopened_incident_starts_a_fresh_ack_chain(rt, clock):
    iid = _open(rt)
    _at(clock, START, 40)
    run_escalations(rt)
    assert _steps(rt, iid) == ["ack.1", "ack.2", "ack.3"]
    svc = IncidentActions(rt.config)
    with transaction(rt.sessions) as s:
        svc.resolve(s, iid, ZHANG, clock.now())
    run_escalations(rt)
    assert _escalate_at(rt, iid) is None
    _at(clock, START, 100)
    with transaction(rt.sessions) as s:
        svc.reopen(s, iid, ZHANG, clock.now())
    _at(clock, START, 114)
    run_escalations(rt)
    assert len(_steps(rt, iid)) == 3
    _at(clock, START, 115)
    run_escalations(rt)
    assert _steps(rt, iid) == ["ack.1", "ack.2", "ack.3", "ack.1"]


def test_an_acknowledgement_and_an_assessment_move_the_next_step_to_the_next_deadline(rt, clock):
    iid = _open(rt)
    run_escalations(rt)
    _at(clock, START, 5)
    svc = IncidentActions(rt.config)
    with transaction(rt.sessions) as s:
        svc.ack(s, iid, ZHANG, clock.now())
    run_escalations(rt)
    assert _escalate_at(rt, iid) == START + minutes(60)  # the assessment's first step
    _at(clock, START, 30)
    with transaction(rt.sessions) as s:
        s.get(Incident, iid).assessed_at = clock.now()
    run_escalations(rt)
    assert _escalate_at(rt, iid) == START + minutes(120)  # the statement's
    _at(clock, START, 119)
    run_escalations(rt)
    assert _steps(rt, iid) == []
    _at(clock, START, 120)
    run_escalations(rt)
    assert _steps(rt, iid) == ["statement.1"]


def test_a_start_looks_again_at_incidents_that_follow_the_config(make_runtime, clock):
    first = make_runtime(CONFIG)
    iid = _open(first, grade="一般")  # no policy snapshot: the config's deadlines hold
    run_escalations(first)
    assert _escalate_at(first, iid) == START + minutes(60)
    first.close()
    shorter = {**CONFIG, "response": {**CONFIG["response"], "deadlines": {"一般": {"ack": 20}}}}
    second = make_runtime(shorter)  # restarted with a shorter deadline
    build_scheduler(second, None)
    _at(clock, START, 20)
    run_escalations(second)
    assert _steps(second, iid) == ["ack.1"]


def test_an_incident_opened_by_the_intake_is_escalated_at_its_deadline(make_runtime, clock):
    from jobs.scan import ScanReport, ingest_records

    rt = make_runtime({**CONFIG, "brands": [{"name": "星河消费金融"}],
                       "sources": [{"name": "heimao", "kind": "webhook", "token_env": "T", "platform": "complaint"}]})
    words = ["暴力催收，爆通讯录", "未经同意扣款", "利滚利变相收费"]
    records = [{"id": f"r{i}", "title": f"星河消费金融{words[i % 3]}", "content": f"星河消费金融{words[i % 3]}，投诉无门",
                "url": f"https://t.example.com/p/{i}", "reposts": i} for i in range(12)]
    ingest_records(rt, rt.config.sources[0], records, {}, ScanReport("heimao"))
    with rt.sessions() as s:
        incs = s.scalars(select(Incident).where(Incident.grade.is_not(None))).all()
        assert incs, "the records made no graded incident"
        inc = incs[0]
        policy = Policy.from_dict(inc.policy["response"])
    run_escalations(rt)
    due = _escalate_at(rt, inc.id)
    ack = policy.grades[inc.grade].ack
    assert due is not None and ack is not None and due >= START
    clock._now = due - timedelta(seconds=1)
    run_escalations(rt)
    assert _steps(rt, inc.id) == []
    clock._now = due
    run_escalations(rt)
    assert _steps(rt, inc.id) == ["ack.1"]


def test_the_next_time_is_when_due_escalations_first_has_a_step():
    """For every mix of grade, met deadlines, fired steps and working hours: `due_escalations` is empty before
    `next_escalation_at` and not at it."""
    config = Config.model_validate({})
    policy = Policy.from_config(config)
    nobody = OnCall(None, None, (), None)
    checked = 0
    for grade, acked, assessed, fired_n, closed in itertools.product(
            ("重大", "一般", "轻微", None), (None, 7), (None, 50), (0, 1, 2), (False, True)):
        snap = IncidentSnapshot(1, grade, "resolved" if closed else "triggered", START,
                                acknowledged_at=START + minutes(acked) if acked else None,
                                assessed_at=START + minutes(assessed) if assessed else None)
        deadlines = deadlines_for(snap, policy)
        fired = {step_key(d, n) for d in deadlines for n in range(1, fired_n + 1)}
        nxt = next_escalation_at(snap, deadlines, fired, policy)
        for m in range(0, 60 * 24):
            now = START + minutes(m)
            due = due_escalations(snap, deadlines, fired, nobody, now, policy)
            assert bool(due) == (nxt is not None and now >= nxt), (grade, acked, assessed, fired_n, closed, m)
            checked += 1
    assert checked > 100_000


def test_ticks_after_a_start_decide_from_plain_rows_and_load_only_the_incidents_they_act_on(rt, clock):
    """After a start every open incident is looked at again: the escalation and reminder ticks decide from
    the columns they need (read as rows), and load a whole incident (its JSON columns) only to act on it."""
    from sqlalchemy import event

    from bot.models.due import recheck_open
    from jobs.remind import remind_due

    quiet = [_open(rt, grade="一般", title=f"星河消费金融投诉{n}") for n in range(5)]  # ack within 60 min
    loud = _open(rt)  # 重大: the first ack step at 15 min
    run_escalations(rt)
    remind_due(rt)
    loaded: list[int] = []
    listen = lambda target, _context: loaded.append(target.id)  # noqa: E731
    event.listen(Incident, "load", listen)
    try:
        with transaction(rt.sessions) as s:
            recheck_open(s)
        _at(clock, START, 5)
        run_escalations(rt)
        remind_due(rt)
        assert loaded == []
        with transaction(rt.sessions) as s:
            assert all(s.get(Incident, i).escalate_at == START + minutes(60) for i in quiet)
        loaded.clear()
        _at(clock, START, 15)
        run_escalations(rt)
        assert set(loaded) == {loud} and _steps(rt, loud) == ["ack.1"]
        assert all(_steps(rt, i) == [] for i in quiet)
    finally:
        event.remove(Incident, "load", listen)


def test_a_start_rechecks_escalations_only_where_the_config_decides_and_reminders_where_they_can_come(rt, clock):
    from bot.incidents.deadlines import snapshot_policy
    from bot.models.due import recheck_open

    snapped = _open(rt, title="星河消费金融投诉甲", policy=snapshot_policy(rt.config, "重大"))
    legacy = _open(rt, title="星河消费金融投诉乙")  # opened before policies were snapshotted: follows the config
    acked = _open(rt, title="星河消费金融投诉丙", state="acknowledged")
    run_escalations(rt)
    with transaction(rt.sessions) as s:
        for i in (snapped, legacy):
            s.get(Incident, i).remind_at = START + minutes(30)
        s.get(Incident, acked).remind_at = None  # as the reminder tick leaves an acknowledged incident
    assert _escalate_at(rt, snapped) == _escalate_at(rt, legacy) == START + minutes(15)
    with transaction(rt.sessions) as s:
        recheck_open(s)
    with rt.sessions() as s:
        assert s.get(Incident, snapped).escalate_at == START + minutes(15)  # its rules cannot have changed
        assert s.get(Incident, legacy).escalate_at == START  # look now
        assert s.get(Incident, snapped).remind_at == s.get(Incident, legacy).remind_at == START
        assert s.get(Incident, acked).remind_at is None  # an acknowledged incident is not reminded
