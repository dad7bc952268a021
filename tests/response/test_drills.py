"""Drills: a marked simulated incident on the real path, out of the statistics, with its own short report."""
import pytest
from sqlalchemy import func, select

from bot.incidents.drills import drill_report, real_only, start_drill
from bot.models import Delivery, Escalation, Incident, Item
from jobs.escalate import run_escalations
from tests.response.conftest import ALICE, make_incident


def test_a_drill_takes_the_real_path(rt, clock):
    with rt.sessions() as s, s.begin():
        inc = start_drill(s, rt.config, "重大", ALICE, clock.now())
        iid = inc.id
        assert inc.is_drill and inc.title.startswith("【演练】") and inc.grade == "重大"
        assert inc.policy["response"]["grades"]["重大"]["ack"] == 15  # snapshotted like a real one
        assert s.scalar(select(func.count()).select_from(Item).where(Item.incident_id == iid)) == 12
    with rt.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Delivery).where(Delivery.incident_id == iid)) >= 1
    clock.advance(minutes=15)
    assert run_escalations(rt).fired == 1  # the same escalation as a real incident
    with rt.sessions() as s:
        assert s.scalar(select(Escalation.step).where(Escalation.incident_id == iid)).startswith("ack.1@")


def test_drills_stay_out_of_real_statistics(rt, clock):
    with rt.sessions() as s, s.begin():
        start_drill(s, rt.config, "一般", ALICE, clock.now())
        real = make_incident(s, clock.now(), grade="一般").id
    with rt.sessions() as s:
        assert s.scalars(real_only(select(Incident.id))).all() == [real]


def test_drill_report_reviews_the_teams_times(rt, clock):
    with rt.sessions() as s, s.begin():
        iid = start_drill(s, rt.config, "一般", ALICE, clock.now()).id
        real = make_incident(s, clock.now(), grade="一般").id
    with rt.sessions() as s, s.begin():
        inc = s.get(Incident, iid)
        inc.state, inc.acknowledged_at, inc.acknowledged_by = "acknowledged", clock.advance(minutes=70), ALICE
    with rt.sessions() as s:
        r = drill_report(s, rt.config, iid, clock.now())
        assert drill_report(s, rt.config, real, clock.now()) is None
    assert r.is_drill and [(d.label, d.verdict) for d in r.deadlines] == [("认领", "超时 10 分钟")]


def test_unknown_grade_is_refused(rt, clock):
    with rt.sessions() as s, pytest.raises(ValueError):
        start_drill(s, rt.config, "严重", ALICE, clock.now())
