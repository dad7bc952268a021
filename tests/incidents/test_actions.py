"""The action service on SQLite and PostgreSQL: state, timestamps, timeline rows, the alerting hook,
refusals that name who got there first, and optimistic locking between racing writers."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from bot.alerting.notify import ChangeKind
from bot.db import transaction
from bot.grades import Grade
from bot.incidents.actions import Actor, IncidentActions, UnknownIncident
from bot.state import InvalidTransition
from bot.models import Incident, IncidentEvent
from tests.builders.incidents import CONFIG, make_incident

ZHANG = Actor("ou_zhang", "张三", "oc_crisis", "command")
WANG = Actor("ou_wang", "王五", "oc_crisis", "button")


class Recorder:
    def __init__(self):
        self.changes = []

    def __call__(self, session, config, incident, change, now):
        self.changes.append((incident.id, change))


@pytest.fixture
def rt(make_runtime):
    return make_runtime(CONFIG)


@pytest.fixture
def svc(rt):
    return IncidentActions(rt.config, Recorder())


def _new(rt, **kw) -> int:
    with transaction(rt.sessions) as s:
        return make_incident(s, rt.clock.now(), **kw).id


def test_ack_assign_note_resolve_writes_timeline_and_calls_the_hook(rt, svc, clock):
    iid = _new(rt)
    with transaction(rt.sessions) as s:
        out = svc.ack(s, iid, ZHANG, clock.now())
        assert out.message == f"#{iid} 已由 张三 认领"
    clock.advance(minutes=5)
    with transaction(rt.sessions) as s:
        svc.assign(s, iid, ZHANG, "ou_wang", clock.now())
        svc.note(s, iid, WANG, "已联系客服核实", clock.now())
        svc.resolve(s, iid, WANG, clock.now(), "已回应")
    with rt.sessions() as s:
        inc = s.get(Incident, iid)
        assert (inc.state, inc.owner, inc.acknowledged_by, inc.resolved_by) == ("resolved", "ou_wang", "ou_zhang",
                                                                               "ou_wang")
        assert inc.open_key is None and inc.resolved_at == clock.now()
        events = s.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == iid).order_by(IncidentEvent.id))
        rows = [(e.kind, e.actor, e.actor_name, e.via, e.chat_id) for e in events]
    assert rows == [("ack", "ou_zhang", "张三", "command", "oc_crisis"),
                    ("assign", "ou_zhang", "张三", "command", "oc_crisis"),
                    ("note", "ou_wang", "王五", "button", "oc_crisis"),
                    ("resolve", "ou_wang", "王五", "button", "oc_crisis")]
    kinds = [c.kind for _, c in svc.notify.changes]
    assert kinds == [ChangeKind.STATE, ChangeKind.STATE, ChangeKind.NOTE, ChangeKind.STATE]
    assert svc.notify.changes[2][1].detail == {"text": "已联系客服核实", "author": "王五", "chat_id": "oc_crisis"}


def test_second_ack_is_told_who_owns_it(rt, svc, clock):
    iid = _new(rt)
    with transaction(rt.sessions) as s:
        svc.ack(s, iid, ZHANG, clock.now())
    with transaction(rt.sessions) as s, pytest.raises(InvalidTransition) as exc:
        svc.ack(s, iid, WANG, clock.now())
    assert exc.value.reason == f"#{iid} 已由 张三 认领"


def test_regrade_is_manual_and_any_grade(rt, svc, clock):
    iid = _new(rt, grade="重大")
    with transaction(rt.sessions) as s:
        svc.regrade(s, iid, ZHANG, Grade.MINOR, clock.now())
    with rt.sessions() as s:
        inc = s.get(Incident, iid)
        assert (inc.grade, inc.grade_source, inc.state) == ("轻微", "manual", "triggered")
    assert svc.notify.changes[-1][1].kind is ChangeKind.REGRADED
    assert svc.notify.changes[-1][1].detail == {"from": "重大", "to": "轻微"}


def test_false_positive_records_feedback_and_reopen_brings_it_back(rt, svc, clock):
    iid = _new(rt)
    with transaction(rt.sessions) as s:
        svc.mark_fp(s, iid, ZHANG, clock.now(), "招聘广告")
    with rt.sessions() as s:
        ev = s.scalars(select(IncidentEvent).where(IncidentEvent.kind == "fp")).one()
        assert ev.detail["reason"] == "招聘广告" and ev.detail["brand"] == "星河消费金融"
        assert s.get(Incident, iid).state == "false_positive"
    clock.advance(hours=1)
    with transaction(rt.sessions) as s:
        svc.reopen(s, iid, ZHANG, clock.now())
    with rt.sessions() as s:
        inc = s.get(Incident, iid)
        assert inc.state == "triggered" and inc.open_key and inc.opened_at == clock.now() and inc.owner is None


def test_reopen_refused_while_a_newer_incident_holds_the_event(rt, svc, clock):
    iid = _new(rt, state="resolved")
    with transaction(rt.sessions) as s:
        old = s.get(Incident, iid)
        newer = make_incident(s, clock.now(), title=old.title)
        newer.event_key, newer.open_key = old.event_key, f"{old.brand}:{old.event_key}"
    with transaction(rt.sessions) as s, pytest.raises(InvalidTransition) as exc:
        svc.reopen(s, iid, ZHANG, clock.now())
    assert f"#{newer.id}" in exc.value.reason


def test_unknown_incident_and_unknown_assignee(rt, svc, clock):
    iid = _new(rt)
    with transaction(rt.sessions) as s:
        with pytest.raises(UnknownIncident):
            svc.ack(s, 999, ZHANG, clock.now())
        with pytest.raises(InvalidTransition, match="团队成员"):
            svc.assign(s, iid, ZHANG, "ou_stranger", clock.now())


def test_a_stale_writer_loses_on_the_version_column(rt, svc, clock):
    if rt.engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE; the two-thread race test covers it")
    iid = _new(rt)
    with rt.sessions() as slow:
        slow.begin()
        stale = slow.get(Incident, iid)  # read (and held) before the other writer commits
        with transaction(rt.sessions) as fast:
            svc.ack(fast, iid, ZHANG, clock.now())
        assert stale.state == "triggered"
        with pytest.raises(StaleDataError):
            svc.ack(slow, iid, WANG, clock.now())
        slow.rollback()


def test_two_people_press_ack_at_once_one_wins(make_runtime, clock):
    from handlers.app import ChatOps
    from bot.feishu.events import CardActionEvent
    from bot.cards.actions import CardAction, encode_action

    rt = make_runtime(CONFIG)
    chat = ChatOps(rt, notify=Recorder(), render_card=lambda s, i: {"state": i.state})
    for round_ in range(4):
        iid = _new(rt, n=round_)
        barrier, replies = threading.Barrier(2), {}

        def press(who: str) -> None:
            barrier.wait()
            ev = CardActionEvent(f"ev-{round_}-{who}", who, encode_action(CardAction.ACK, iid), "oc_crisis", "om_c")
            replies[who] = chat.dispatcher.handle_card(ev)

        threads = [threading.Thread(target=press, args=(w,)) for w in ("ou_zhang", "ou_wang")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        tones = sorted(r.tone for r in replies.values())
        assert tones == ["success", "warning"], replies
        winner = next(w for w, r in replies.items() if r.tone == "success")
        loser = next(r for r in replies.values() if r.tone == "warning")
        name = {"ou_zhang": "张三", "ou_wang": "王五"}[winner]
        assert loser.toast == f"#{iid} 已由 {name} 认领" and loser.card == {"state": "acknowledged"}
        with rt.sessions() as s:
            inc = s.get(Incident, iid)
            assert inc.owner == winner
            assert len(s.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == iid)).all()) == 1


def test_record_assessment_first_time_sets_the_time_later_ones_are_notes(rt, svc, clock):
    from bot.incidents.actions import Milestone

    iid = _new(rt, grade="重大")
    first = clock.now()
    with transaction(rt.sessions) as s:
        assert svc.record(s, iid, ZHANG, Milestone.ASSESSED, "个案", first).message == f"#{iid} 已记录研判"
    clock.advance(minutes=5)
    with transaction(rt.sessions) as s:
        assert svc.record(s, iid, WANG, Milestone.ASSESSED, "", clock.now()).message == f"#{iid} 已补充研判"
        svc.record(s, iid, WANG, Milestone.STATEMENT, "https://x/y", clock.now())
        svc.resolve(s, iid, WANG, clock.now())
    with transaction(rt.sessions) as s, pytest.raises(InvalidTransition, match="已关闭，不能记录声明"):
        svc.record(s, iid, WANG, Milestone.STATEMENT, "again", clock.now())
    with rt.sessions() as s:
        inc = s.get(Incident, iid)
        assert (inc.assessed_at, inc.statement_at) == (first, clock.now())
        rows = [(e.kind, e.text) for e in s.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == iid)
                                                    .order_by(IncidentEvent.id))]
    assert rows[:3] == [("assessed", "研判：个案"), ("note", "完成研判"), ("statement", "声明：https://x/y")]
    changes = [c for _, c in svc.notify.changes]
    assert [c.kind for c in changes[:3]] == [ChangeKind.NOTE] * 3
    assert changes[0].detail["milestone"] == "assessed" and changes[0].detail["first"] is True


def test_resurgence_reopens_as_the_system_with_a_resurgence_change(rt, svc, clock):
    iid = _new(rt)
    with transaction(rt.sessions) as s:
        svc.resolve(s, iid, ZHANG, clock.now())
    clock.advance(hours=1)
    with transaction(rt.sessions) as s:
        assert svc.resurge(s, iid, clock.now(), {"items": 6}).message == f"#{iid} 舆情复燃，已重开"
    with rt.sessions() as s:
        inc = s.get(Incident, iid)
        assert inc.state == "triggered" and inc.opened_at == clock.now() and inc.open_key
        last = s.scalars(select(IncidentEvent).order_by(IncidentEvent.id.desc())).first()
    assert (last.kind, last.actor, last.via, last.text) == ("resurgence", None, "system", "舆情复燃：解决后新增 6 条，事件重开")
    assert svc.notify.changes[-1][1].kind is ChangeKind.RESURGENCE
