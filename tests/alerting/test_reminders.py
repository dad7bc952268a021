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
