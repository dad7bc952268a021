"""The outbox worker under faults: a Feishu outage, a worker that dies mid-send, a bot removed from a chat,
and the per-chat rate cap shared by two workers. Every alert arrives exactly once."""
import json
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select

from bot.alerting import outbox
from bot.alerting.notify import ChangeKind
from bot.cli import main
from bot.models import Delivery, IncidentMessage
from jobs.deliver import _render, deliver_due
from tests.alerting.conftest import ALERTING, CRISIS, PR, client, incidents, rt, run_worker  # noqa: F401 (fixtures)


def statuses(rt) -> list[str]:
    with rt.sessions() as s:
        return [d.status for d in s.scalars(select(Delivery).order_by(Delivery.id))]


def test_an_outage_delays_but_loses_and_doubles_nothing(rt, incidents, client, feishu, clock):
    major, moderate = incidents.open("重大"), incidents.open("一般")
    feishu.down()
    run_worker(rt, client, clock, seconds=30)
    for _ in range(6):  # ten minutes of outage, the worker keeps trying with backoff
        run_worker(rt, client, clock, seconds=100)
    incidents.change(major, ChangeKind.ITEMS_ADDED, items=2)  # life goes on while Feishu is down
    # two cards, and an update (the crisis card was already tried, so it may have rendered before the items)
    assert feishu.messages == [] and statuses(rt) == ["pending", "pending", "pending"]
    with rt.sessions() as s:
        assert all(d.attempts >= 3 for d in s.scalars(select(Delivery).where(Delivery.kind == "incident_card")))
    feishu.up()
    run_worker(rt, client, clock, seconds=600, rounds=3)
    assert [m.chat_id for m in feishu.posts()] == [CRISIS, PR]
    assert "3 条" in feishu.in_chat(CRISIS)[0].text  # rendered when sent: the items that came meanwhile
    assert set(statuses(rt)) == {"sent"}


def test_transient_failures_give_up_only_after_a_day(rt, incidents, client, feishu, clock):
    incidents.open("重大")
    feishu.down()
    run_worker(rt, client, clock, seconds=30)
    for _ in range(23 * 6):  # 23 hours
        run_worker(rt, client, clock, seconds=600)
    assert statuses(rt) == ["pending"]
    run_worker(rt, client, clock, seconds=3600, rounds=2)
    assert statuses(rt) == ["failed"]


def test_a_worker_that_dies_holding_a_delivery_is_replaced_after_the_lease(rt, incidents, client, feishu, clock):
    incidents.open("重大")
    clock.advance(seconds=30)
    [claimed] = outbox.claim_due(rt.sessions, clock.now())  # this worker dies here
    run_worker(rt, client, clock)
    assert feishu.messages == []  # leased: nobody else sends it meanwhile
    run_worker(rt, client, clock, seconds=outbox.LEASE.total_seconds())
    assert len(feishu.posts()) == 1 and statuses(rt) == ["sent"]


def test_a_send_that_reached_feishu_but_was_not_recorded_is_not_posted_again(rt, incidents, client, feishu, clock):
    iid = incidents.open("重大")
    clock.advance(seconds=30)
    [d] = outbox.claim_due(rt.sessions, clock.now())
    first = client.send(d.chat_id, "interactive", _render(rt, iid)[0], d.uuid)  # then the worker dies
    run_worker(rt, client, clock, seconds=outbox.LEASE.total_seconds())
    assert [m.message_id for m in feishu.posts()] == [first.message_id]
    with rt.sessions() as s:
        assert s.scalar(select(IncidentMessage.message_id)) == first.message_id


def test_bot_removed_from_chat_is_a_permanent_failure_listed_by_deliveries(rt, incidents, client, feishu, clock,
                                                                           tmp_path):
    incidents.open("重大")
    incidents.open("一般")
    feishu.remove_bot(CRISIS)
    run_worker(rt, client, clock, seconds=30)
    assert [m.chat_id for m in feishu.posts()] == [PR]
    assert statuses(rt) == ["failed", "sent"]
    result = CliRunner().invoke(main, ["deliveries", "-c", str(tmp_path / "config.yaml")], env={})
    assert result.exit_code == 0, result.output
    assert "incident_card" in result.output and f"chat={CRISIS}" in result.output
    assert "230002" in result.output and f"chat={PR}" not in result.output


def test_injected_mentions_in_posts_ping_nobody(rt, incidents, client, feishu, clock):
    nasty = '<at id=all></at><at user_id="ou_boss"></at>[领取](https://evil.example.com)'
    iid = incidents.open("轻微", items=0)
    with rt.sessions() as s, s.begin():
        from bot.models import Incident

        inc = s.get(Incident, iid)
        inc.title = nasty
        incidents.add_items(s, inc, 2, title=nasty)
    run_worker(rt, client, clock, seconds=30)
    [card] = feishu.posts()
    assert card.mentions == [] and "<at" not in card.text and "](https://evil" not in card.text


def test_the_chat_rate_cap_holds_across_two_workers(rt, make_runtime, incidents, client, feishu, clock):
    other = make_runtime({"feishu": {"domain": feishu.url}, "alerting": ALERTING})  # a second worker, own engine
    for _ in range(8):
        incidents.open("重大")
    clock.advance(seconds=30)
    sent_now = deliver_due(rt, client, limit=4).sent + deliver_due(other, client, limit=4).sent
    assert sent_now == 3  # chat_burst: the burst, then the budget is spent for this instant
    assert deliver_due(rt, client).sent == 0
    for _ in range(10):
        clock.advance(seconds=1)
        deliver_due(other, client)
        deliver_due(rt, client)
    assert len(feishu.in_chat(CRISIS)) == 8 and set(statuses(rt)) == {"sent"}
    assert len({json.dumps(m.content["header"]) for m in feishu.posts()}) == 1


def test_a_backlog_for_one_chat_is_leased_as_its_budget_frees_not_over_and_over(rt, incidents, client, feishu,
                                                                                clock):
    """Twelve 重大 cards for the crisis chat and a 一般 card for the PR chat queued behind them: the claim leases
    only what each chat's budget admits (chat_burst 3 at chat_rate 3/s), so nothing is leased and put back, the
    PR chat's card is not held up behind the crisis backlog, and the worker is told when the crisis chat has
    room again."""
    for _ in range(12):
        incidents.open("重大")
    incidents.open("一般")
    clock.advance(seconds=30)
    first = deliver_due(rt, client)
    assert (first.sent, first.deferred) == (4, 0)  # the crisis chat's burst of 3, and the PR chat's card
    assert len(feishu.in_chat(PR)) == 1 and len(feishu.in_chat(CRISIS)) == 3
    assert first.next_due is not None and clock.now() < first.next_due <= clock.now() + timedelta(seconds=1)
    reports = []
    for _ in range(60):  # 6 s in steps of 0.1 s
        clock.advance(seconds=0.1)
        reports.append(deliver_due(rt, client))
    assert sum(r.deferred for r in reports) == 0
    assert len(feishu.in_chat(CRISIS)) == 12 and set(statuses(rt)) == {"sent"}
    with rt.sessions() as s:  # each lease counted one attempt: no card was claimed twice
        assert {d.attempts for d in s.scalars(select(Delivery))} == {1}


def test_send_cap_room_is_what_admit_lets_through():
    from datetime import datetime, timezone

    from bot.alerting.policy import SendCap, admit
    now = datetime(2026, 11, 29, 12, tzinfo=timezone.utc)
    for rate, burst in ((3.0, 3), (5.0, 1), (0.5, 5), (1.0, 2)):
        cap = SendCap(rate, burst)
        for ahead_ms in range(-3000, 12000, 37):
            tat = now + timedelta(milliseconds=ahead_ms)
            admitted, t = 0, tat
            while admitted <= burst:
                decision = admit(t, now, rate, burst)
                if not decision.send_now:
                    break
                admitted, t = admitted + 1, decision.tat
            assert cap.room(tat, now) == admitted, (rate, burst, ahead_ms)
