"""From an incident change to what the chats show, through the outbox, the worker and the real lark-oapi
client against the fake Feishu: routing, mentions, in-place updates, thread replies, bursts."""
import pytest
from sqlalchemy import select

from bot.alerting.kinds import Outbound
from bot.alerting.pipeline import Outgoing, submit
from bot.alerting.notify import ChangeKind
from bot.models import Delivery, Incident, IncidentMessage
from tests.alerting.conftest import CRISIS, LEAD, ON_CALL, PR, QC, SERVICE, run_worker


def test_major_incident_reaches_the_crisis_chat_with_the_on_call_mention(rt, incidents, client, feishu, clock):
    iid = incidents.open("重大", items=3)
    run_worker(rt, client, clock)
    assert feishu.messages == []  # group_wait: items of a burst land on one card
    run_worker(rt, client, clock, seconds=30)
    [card] = feishu.posts()
    assert card.chat_id == CRISIS and card.msg_type == "interactive"
    assert card.content["header"]["template"] == "red"
    assert card.content["header"]["title"]["content"] == "【重大】星河消费金融 · 舆情告警"
    assert card.mentions == [ON_CALL, LEAD]
    assert "1 小时内完成研判" in card.text and "3 条" in card.text
    with rt.sessions() as s:
        assert s.scalars(select(IncidentMessage.message_id).where(IncidentMessage.incident_id == iid)).all() == [
            card.message_id]


@pytest.mark.parametrize("grade, chat, mentions", [
    ("轻微", SERVICE, []), ("一般", PR, [ON_CALL]), ("重大", CRISIS, [ON_CALL, LEAD]),
])
def test_each_grade_goes_to_its_chat(rt, incidents, client, feishu, clock, grade, chat, mentions):
    incidents.open(grade)
    run_worker(rt, client, clock, seconds=30)
    [card] = feishu.posts()
    assert (card.chat_id, card.mentions) == (chat, mentions)


def test_brand_override_adds_the_brand_chat(rt, incidents, client, feishu, clock):
    incidents.open("重大", brand="青橙分期")
    run_worker(rt, client, clock, seconds=30)
    assert sorted(m.chat_id for m in feishu.posts()) == sorted([CRISIS, QC])


def test_card_updates_in_place_as_the_incident_grows(rt, incidents, client, feishu, clock):
    iid = incidents.open("重大")
    run_worker(rt, client, clock, seconds=30)
    for _ in range(5):
        incidents.change(iid, ChangeKind.ITEMS_ADDED, items=1)
        run_worker(rt, client, clock, seconds=5)
    [card] = feishu.posts()
    assert card.patches == []  # group_interval: updates wait
    run_worker(rt, client, clock, seconds=60)
    assert len(feishu.posts()) == 1 and len(card.patches) == 1
    assert "6 条" in card.text


def test_ack_patches_every_card_and_drops_the_ack_button(rt, incidents, client, feishu, clock):
    iid = incidents.open("重大", brand="青橙分期")
    run_worker(rt, client, clock, seconds=30)
    incidents.change(iid, ChangeKind.STATE, actor=ON_CALL, state="acknowledged", acknowledged_by=ON_CALL,
                     acknowledged_at=clock.now())
    run_worker(rt, client, clock)  # a person acted: no group_interval wait
    for card in feishu.posts():
        assert len(card.patches) == 1
        assert "已认领** · 值班张三" in card.text and "认领\"" not in card.text.replace("已认领", "")


def test_grade_up_posts_in_the_new_chat_and_replies_in_the_old_thread(rt, incidents, client, feishu, clock):
    iid = incidents.open("一般")
    run_worker(rt, client, clock, seconds=30)
    [pr_card] = feishu.in_chat(PR)
    incidents.change(iid, ChangeKind.GRADE_UP, items=1, grade="重大", detail={"from": "一般", "to": "重大"})
    run_worker(rt, client, clock, rounds=2)  # no group_wait for a card that a grade rise routes
    [crisis_card] = feishu.in_chat(CRISIS)
    assert crisis_card.mentions == [ON_CALL, LEAD] and crisis_card.content["header"]["template"] == "red"
    assert pr_card.current["header"]["template"] == "red"  # patched in place
    [reply] = feishu.replies_to(pr_card.message_id)
    assert "等级上调：一般 → 重大" in reply.content["text"] and reply.mentions == [ON_CALL, LEAD]
    assert len(feishu.posts()) == 3


def test_a_burst_of_200_items_is_one_card_and_a_few_updates(rt, incidents, client, feishu, clock):
    iid = incidents.open("一般")
    for i in range(200):
        incidents.change(iid, ChangeKind.ITEMS_ADDED, items=1)
        clock.advance(seconds=1)
        if i % 5 == 0:
            run_worker(rt, client, clock)
    run_worker(rt, client, clock, seconds=60)
    [card] = feishu.in_chat(PR)
    replies = feishu.replies_to(card.message_id)
    assert "201 条" in card.text
    assert 1 <= len(card.patches) <= 5, len(card.patches)
    assert 1 <= len(replies) <= 4, [r.content for r in replies]
    assert len(feishu.posts()) == 1 + len(replies)


def test_a_thread_reply_waits_for_its_card(rt, incidents, client, feishu, clock):
    iid = incidents.open("重大")
    with rt.sessions() as s, s.begin():
        submit(s, rt.config, Outgoing(Outbound.THREAD_NOTICE, s.get(Incident, iid), chats=(CRISIS,), text="跟进"),
               clock.now())
    run_worker(rt, client, clock)
    assert feishu.messages == []
    run_worker(rt, client, clock, seconds=30, rounds=2)
    [card] = feishu.in_chat(CRISIS)
    assert [r.content for r in feishu.replies_to(card.message_id)] == [{"text": "跟进"}]


def test_a_note_is_relayed_to_the_other_chats(rt, incidents, client, feishu, clock):
    iid = incidents.open("重大", brand="青橙分期")
    run_worker(rt, client, clock, seconds=30)
    incidents.change(iid, ChangeKind.NOTE, actor=ON_CALL, detail={"text": "已联系<at id=all></at>用户", "chat_id": CRISIS})
    run_worker(rt, client, clock)
    [qc_card], [crisis_card] = feishu.in_chat(QC), feishu.in_chat(CRISIS)
    [reply] = feishu.replies_to(qc_card.message_id)
    assert reply.content["text"].startswith("📝 值班张三 备注：已联系") and reply.mentions == []
    assert feishu.replies_to(crisis_card.message_id) == []


def test_chat_messages_without_an_incident_go_out(rt, incidents, client, feishu, clock):
    with rt.sessions() as s, s.begin():
        submit(s, rt.config, Outgoing(Outbound.OPS_NOTICE, chats=(CRISIS,), text="源 weibo 连续失败"), clock.now())
        submit(s, rt.config, Outgoing(Outbound.DIGEST, chats=(PR,), card={"schema": "2.0", "body": {"elements": []}},
                                      key=("2026-11-29",)), clock.now())
    run_worker(rt, client, clock)
    assert [m.content for m in feishu.in_chat(CRISIS)] == [{"text": "源 weibo 连续失败"}]
    assert feishu.in_chat(PR)[0].content["schema"] == "2.0"
    with rt.sessions() as s:
        assert {d.status for d in s.scalars(select(Delivery))} == {"sent"}
