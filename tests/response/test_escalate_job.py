"""jobs/escalate.py on a real database and the FakeClock: each step once, at its time, surviving restarts and races."""
import threading

from sqlalchemy import func, select

from bot.incidents.deadlines import Kind, Step
from bot.models import Delivery, Escalation, Incident, IncidentEvent
from bot.incidents.escalation import fire_step
from jobs.escalate import run_escalations
from tests.response.conftest import ALICE, BOB, CONFIG, CRISIS, LEAD, PR, make_incident, minutes


def _open(rt, **kw) -> int:
    with rt.sessions() as s, s.begin():
        return make_incident(s, rt.clock.now(), **kw).id


def _steps(rt, incident_id) -> list[str]:
    with rt.sessions() as s:
        return [k.split("@")[0] for k in s.scalars(select(Escalation.step).where(Escalation.incident_id == incident_id)
                                                   .order_by(Escalation.id))]


def _replies(rt, incident_id) -> list[Delivery]:
    with rt.sessions() as s:
        return list(s.scalars(select(Delivery).where(Delivery.incident_id == incident_id,
                                                     Delivery.kind == "escalation").order_by(Delivery.id)))


def test_each_step_fires_at_its_time_exactly_once(rt, clock):
    iid = _open(rt)
    timeline = [(14, []), (15, ["ack.1"]), (16, ["ack.1"]), (24, ["ack.1"]), (25, ["ack.1", "ack.2"]),
                (35, ["ack.1", "ack.2", "ack.3"]), (50, ["ack.1", "ack.2", "ack.3"])]
    start = clock.now()
    for at, expected in timeline:
        clock._now = start + minutes(at)
        for _ in range(3):
            run_escalations(rt)
        assert _steps(rt, iid) == expected, at
    replies = _replies(rt, iid)
    assert [(d.kind, d.chat_id) for d in replies] == [("escalation", CRISIS)] * 3
    texts = [d.payload["content"]["text"] for d in replies]
    assert f'<at user_id="{ALICE}"></at>' in texts[0] and "值班 张三" in texts[0]
    assert f'<at user_id="{BOB}"></at>' in texts[1] and f'<at user_id="{LEAD}"></at>' in texts[2]
    assert all("@all" not in t and "id=all" not in t for t in texts)
    with rt.sessions() as s:
        events = s.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == iid,
                                                       IncidentEvent.kind == "escalated")).all()
    assert [e.detail["number"] for e in events] == [1, 2, 3]


def test_acknowledgement_stops_the_ack_chain(rt, clock):
    iid = _open(rt, grade="一般", card_chats=(PR,))
    clock.advance(minutes=60)
    run_escalations(rt)
    with rt.sessions() as s, s.begin():
        inc = s.get(Incident, iid)
        inc.state, inc.acknowledged_at, inc.owner = "acknowledged", clock.now(), BOB
    clock.advance(minutes=60)
    run_escalations(rt)
    assert _steps(rt, iid) == ["ack.1"]
    assert [d.chat_id for d in _replies(rt, iid)] == [PR]


def test_missed_assessment_reminds_the_owner_then_the_lead(rt, clock):
    start = clock.now()
    iid = _open(rt, state="acknowledged", acknowledged_at=start + minutes(5), owner=BOB)
    clock._now = start + minutes(70)
    run_escalations(rt)
    assert _steps(rt, iid) == ["assess.1", "assess.2"]
    texts = [d.payload["content"]["text"] for d in _replies(rt, iid)]
    assert f'user_id="{BOB}"' in texts[0] and f'user_id="{LEAD}"' in texts[1] and "研判" in texts[0]
    with rt.sessions() as s, s.begin():
        s.get(Incident, iid).assessed_at = clock.now()
    clock._now = start + minutes(200)
    run_escalations(rt)
    assert _steps(rt, iid) == ["assess.1", "assess.2", "statement.1", "statement.2"]
    with rt.sessions() as s, s.begin():
        inc = s.get(Incident, iid)
        inc.state, inc.resolved_at, inc.open_key = "resolved", clock.now(), None
    assert run_escalations(rt).fired == 0


def test_a_restart_neither_loses_nor_repeats_a_step(make_runtime, clock):
    first = make_runtime(CONFIG)
    iid = _open(first)
    clock.advance(minutes=26)
    run_escalations(first)
    first.close()
    second = make_runtime(CONFIG)  # a new process on the same database
    run_escalations(second)
    assert _steps(second, iid) == ["ack.1", "ack.2"]
    clock.advance(minutes=10)
    run_escalations(second)
    assert _steps(second, iid) == ["ack.1", "ack.2", "ack.3"]
    assert len(_replies(second, iid)) == 3


def test_without_a_card_the_step_goes_to_the_routed_chat(rt, clock):
    iid = _open(rt, card_chats=())
    clock.advance(minutes=15)
    run_escalations(rt)
    assert [(d.kind, d.chat_id, d.payload["standalone"]) for d in _replies(rt, iid)] == [("escalation", CRISIS, True)]


def test_without_a_card_the_step_follows_the_brand_route(make_runtime, clock):
    routed = {**CONFIG, "alerting": {**CONFIG["alerting"], "brand_routes": {"星河消费金融": {"default": ["pr"]}}}}
    rt = make_runtime(routed)
    iid = _open(rt, card_chats=())
    clock.advance(minutes=15)
    run_escalations(rt)
    assert [(d.kind, d.chat_id, d.payload["standalone"]) for d in _replies(rt, iid)] == [("escalation", PR, True)]


def test_a_step_fired_by_someone_else_is_skipped(rt, clock):
    iid = _open(rt)
    now = clock.advance(minutes=15)
    with rt.sessions() as s, s.begin():
        s.add(Escalation(incident_id=iid, step="ack.1@1", fired_at=now))
    step = Step("ack.1@1", Kind.ACK, 1, now, (ALICE,), "⏰")
    with rt.sessions() as s, s.begin():
        assert fire_step(s, rt.config, s.get(Incident, iid), step, now) is False
    with rt.sessions() as s:
        assert s.scalar(select(func.count()).select_from(IncidentEvent).where(IncidentEvent.kind == "escalated")) == 0
    assert _replies(rt, iid) == []


def test_racing_workers_fire_each_step_once(make_runtime, clock):
    runtimes = [make_runtime(CONFIG) for _ in range(4)]
    ids = [_open(runtimes[0], title=f"事件{n}") for n in range(3)]
    clock.advance(minutes=40)
    barrier = threading.Barrier(len(runtimes))
    errors = []

    def work(rt):
        try:
            barrier.wait()
            for _ in range(3):
                run_escalations(rt)
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(rt,)) for rt in runtimes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for iid in ids:
        assert _steps(runtimes[0], iid) == ["ack.1", "ack.2", "ack.3"]
        assert len(_replies(runtimes[0], iid)) == 3
