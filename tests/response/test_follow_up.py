"""Follow-up tracking: one thread update per interval and only with something new; resurgence after
resolution reopens the incident (or alerts on the newer one holding the event) with a fresh alert, once."""
from datetime import datetime

from sqlalchemy import select

from bot.models import Delivery, Escalation, Incident, IncidentEvent, IncidentMessage, Item
from jobs.follow_up import run_follow_ups
from tests.response.conftest import CRISIS, add_items, make_incident, minutes, source_id


def _updates(rt) -> list[str]:
    with rt.sessions() as s:
        rows = s.scalars(select(Delivery).where(Delivery.kind == "follow_up").order_by(Delivery.id)).all()
        return [r.payload["content"]["text"] for r in rows]


def _with_card(s, inc: Incident, now: datetime) -> Incident:
    s.add(IncidentMessage(incident_id=inc.id, chat_id=CRISIS, message_id=f"om_card{inc.id}", created_at=now))
    return inc


def _loose_items(s, inc: Incident, times: list[datetime], source: str = "zhihu") -> None:
    """Items about the same brand and event that joined no incident yet (as after resolution)."""
    sid = source_id(s, times[0], source, source)
    for n, at in enumerate(times):
        s.add(Item(source_id=sid, external_id=f"loose-{inc.id}-{at.timestamp()}-{n}", platform=source, title=f"复燃 {n}",
                   text="复燃", fetched_at=at, published_at=at, brands=[{"name": inc.brand, "negative": True}],
                   topics=[], rules=[], regulators=[], sentiment=-0.8, negative=True, event_key=inc.event_key))
    s.flush()


def test_an_update_per_interval_only_when_something_is_new(rt, clock):
    start = clock.now()  # 02:00 UTC: the hourly slots start on the hour
    with rt.sessions() as s, s.begin():
        inc = make_incident(s, start, grade="一般", state="acknowledged")
        add_items(s, inc, [start] * 3, sentiment=0.7)
        iid = inc.id
    assert run_follow_ups(rt).updates == 0  # nothing since the alert
    clock.advance(minutes=10)
    with rt.sessions() as s, s.begin():
        add_items(s, s.get(Incident, iid), [clock.now()] * 2, source="zhihu", platform="zhihu", sentiment=-0.8)
    assert run_follow_ups(rt).updates == 1
    assert run_follow_ups(rt).updates == 0  # the same interval: once
    clock.advance(minutes=10)
    with rt.sessions() as s, s.begin():
        add_items(s, s.get(Incident, iid), [clock.now()], sentiment=-0.8)
    assert run_follow_ups(rt).updates == 0  # still the same interval: it waits for the next one
    clock.advance(minutes=45)
    assert run_follow_ups(rt).updates == 1
    clock.advance(minutes=60)
    assert run_follow_ups(rt).updates == 0  # nothing new: no empty update
    first, second = _updates(rt)
    assert first.splitlines()[0] == f"🔄 持续监控 #{iid}【一般】已认领：自上次消息后新增 2 条（此前同样时长 3 条，↓ 减少）"
    assert "负面占比 100%（此前 0%，舆论恶化）" in first and "新来源：zhihu" in first
    assert second.splitlines()[0].endswith("新增 1 条（此前同样时长 5 条，↓ 减少）") and "新来源" not in second
    assert "负面占比 100%（此前 40%，舆论恶化）" in second
    with rt.sessions() as s:
        keys = [d.uuid for d in s.scalars(select(Delivery).where(Delivery.kind == "follow_up"))]
    assert len(keys) == len(set(keys)) == 2


def test_resurgence_reopens_the_incident_with_a_fresh_alert(rt, clock):
    now = clock.now()
    with rt.sessions() as s, s.begin():
        inc = _with_card(s, make_incident(s, now - minutes(30), grade="重大", state="resolved", resolved_at=now), now)
        iid = inc.id
        _loose_items(s, inc, [now - minutes(5)] * 6)      # before the resolution: not a resurgence
        _loose_items(s, inc, [now + minutes(10)] * 4)
    clock.advance(minutes=20)
    report = run_follow_ups(rt)
    assert (report.reopened, report.updates) == (0, 1)  # 4 < 5: an update in the thread, no reopening
    with rt.sessions() as s, s.begin():
        _loose_items(s, s.get(Incident, iid), [clock.now()])
    report = run_follow_ups(rt)
    assert (report.reopened, report.updates) == (1, 0)  # this interval's update went out already
    assert run_follow_ups(rt).reopened == 0
    with rt.sessions() as s:
        inc = s.get(Incident, iid)
        assert inc.state == "triggered" and inc.open_key == f"{inc.brand}:{inc.event_key}" and inc.resolved_at is None
        last = s.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == iid)
                         .order_by(IncidentEvent.id.desc())).first()
        assert (last.kind, last.actor, last.via) == ("resurgence", None, "system")
        assert last.text == "舆情复燃：解决后新增 5 条，事件重开"
        alerts = s.scalars(select(Delivery).where(Delivery.kind == "thread_notice", Delivery.incident_id == iid)).all()
        assert "resurgence" in [d.payload.get("reason") for d in alerts]  # the fresh alert in the card's thread


def test_a_newer_incident_holding_the_event_gets_the_alert(rt, clock):
    now = clock.now()
    with rt.sessions() as s, s.begin():
        old = make_incident(s, now - minutes(60), grade="一般", state="resolved", resolved_at=now - minutes(30))
        newer = _with_card(s, make_incident(s, now, grade="轻微"), now)
        newer.event_key, newer.open_key = old.event_key, f"{old.brand}:{old.event_key}"
        add_items(s, newer, [now - minutes(m) for m in range(5)])
        old_id, new_id = old.id, newer.id
    assert run_follow_ups(rt).reopened == 1
    assert run_follow_ups(rt).reopened == 0  # once per resolution
    with rt.sessions() as s:
        assert s.get(Incident, old_id).state == "resolved"
        rows = s.scalars(select(IncidentEvent).where(IncidentEvent.kind == "resurgence"))
        kinds = {e.incident_id: e.text for e in rows}
        assert kinds == {old_id: f"舆情复燃：解决后新增 5 条，新内容在 #{new_id}", new_id: f"#{old_id} 解决后复燃：5 条"}
        assert s.scalar(select(Escalation.step).where(Escalation.incident_id == old_id)).startswith("resurgence@")
        alerts = s.scalars(select(Delivery).where(Delivery.kind == "thread_notice",
                                                  Delivery.incident_id == new_id)).all()
        assert "resurgence" in [d.payload.get("reason") for d in alerts]


def test_false_positives_and_long_resolved_incidents_are_not_followed(rt, clock):
    now = clock.now()
    with rt.sessions() as s, s.begin():
        fp = make_incident(s, now, state="false_positive", resolved_at=now, title="a")
        old = make_incident(s, now - minutes(3000), state="resolved", resolved_at=now - minutes(25 * 60), title="b")
        for inc in (fp, old):
            _loose_items(s, inc, [now + minutes(1)] * 6)
    clock.advance(minutes=5)
    assert run_follow_ups(rt).reopened == 0 and _updates(rt) == []


def test_the_scheduler_runs_it_every_five_minutes_across_replicas(rt):
    from datetime import timedelta

    from jobs.scheduler import build_scheduler

    job = build_scheduler(rt, None).get_job("follow-up")
    name, every, fn = job.args[:3]
    assert fn is run_follow_ups and every == timedelta(minutes=5)  # the lease's period: once per 5 min per fleet
