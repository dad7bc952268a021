"""Reminders of unacknowledged incidents, in the card's thread, once per repeat_interval."""
from bot.alerting.notify import ChangeKind
from jobs.remind import remind_due
from tests.alerting.conftest import CRISIS, LEAD, ON_CALL, run_worker


def test_an_unacknowledged_incident_is_reminded_once_per_interval(rt, incidents, client, feishu, clock):
    iid = incidents.open("重大")
    run_worker(rt, client, clock, seconds=30)
    [card] = feishu.in_chat(CRISIS)
    clock.advance(minutes=29)
    assert remind_due(rt).reminded == 0
    clock.advance(minutes=1)
    assert remind_due(rt).reminded == 1
    assert remind_due(rt).reminded == 0  # a rerun (or a second worker) queues nothing more
    run_worker(rt, client, clock)
    [reminder] = feishu.replies_to(card.message_id)
    assert "仍待认领" in reminder.content["text"] and reminder.mentions == [ON_CALL, LEAD]
    incidents.change(iid, ChangeKind.STATE, actor=ON_CALL, state="acknowledged", acknowledged_by=ON_CALL)
    clock.advance(hours=2)
    assert remind_due(rt).reminded == 0


def test_an_escalation_step_counts_as_a_ping_so_the_reminder_waits_a_full_interval_after_it(rt, incidents, client,
                                                                                            feishu, clock):
    from bot.db import transaction
    from bot.models import Escalation

    iid = incidents.open("重大")
    run_worker(rt, client, clock, seconds=30)
    clock.advance(minutes=25)
    with transaction(rt.sessions) as s:  # the escalation job pinged the backup at the ack deadline + 10 min
        s.add(Escalation(incident_id=iid, step="ack.1@0", fired_at=clock.now()))
    clock.advance(minutes=5)  # 30 min after the card: without the escalation, a reminder would be due
    assert remind_due(rt).reminded == 0
    clock.advance(minutes=25)
    assert remind_due(rt).reminded == 1
