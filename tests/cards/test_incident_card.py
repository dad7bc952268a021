"""The incident card: colour by grade, actions valid in the state, drills marked, untrusted text inert, size."""
import json
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from bot.cards.actions import CardAction, decode_action
from bot.cards.incident import IncidentView, ItemLine, TopicLine, render_incident_card, valid_actions
from bot.state import State

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
NASTY = ('<at id=all></at><at user_id="ou_boss">x</at>[点我](https://evil.example.com)![i](https://evil.example.com/a.png)'
         "**粗**\n\n# 标题\u202e</font>{\"tag\":\"button\"}")

VIEW = IncidentView(
    incident_id=7, brand="星河消费金融", summary="星河消费金融暴力催收投诉", grade="重大", grade_source="auto",
    reasons=("2 小时内 40 条", "官方媒体报道"), state=State.TRIGGERED, acknowledged_by=None, owner=None,
    resolved_by=None, item_count=40, velocity=20.0, engagement=123456, sentiment=0.12, platforms=("weibo", "news"),
    sources=("weibo-xinghe", "sample-news"), topics=(TopicLine("暴力催收", ("催收", "爆通讯录")),),
    first_seen_at=T0, last_seen_at=T0, top_items=(ItemLine("被催收电话打爆了", "weibo-xinghe", "weibo", T0,
                                                           "https://weibo.com/1/abc", 900),),
    playbook=("1 小时内完成研判", "2 小时内发布官方声明"), mentions=("ou_oncall1", "ou_lead_1"), is_drill=False, updated_at=T0)


def controls(card: dict) -> dict[str, dict]:
    """Label (or placeholder) → the control, for the buttons and selects on the card."""
    out = {}
    for el in card["body"]["elements"]:
        for col in el.get("columns", []):
            for c in col["elements"]:
                label = (c.get("text") or c.get("placeholder"))["content"]
                out[label] = c
    return out


@pytest.mark.parametrize("grade, state, colour", [
    ("重大", State.TRIGGERED, "red"), ("一般", State.TRIGGERED, "orange"), ("轻微", State.TRIGGERED, "blue"),
    (None, State.TRIGGERED, "grey"), ("重大", State.RESOLVED, "green"), ("重大", State.FALSE_POSITIVE, "grey"),
])
def test_header_colour_and_title(grade, state, colour):
    card = render_incident_card(replace(VIEW, grade=grade, state=state))
    assert card["schema"] == "2.0" and card["config"] == {"update_multi": True}
    assert card["header"]["template"] == colour
    assert card["header"]["title"]["content"] == f"【{grade or '待定级'}】星河消费金融 · 舆情告警"
    assert card["header"]["subtitle"]["content"] == "星河消费金融暴力催收投诉"


@pytest.mark.parametrize("state, shown", [
    (State.TRIGGERED, {"认领", "解决", "误报", "指派", "调整等级"}),
    (State.ACKNOWLEDGED, {"解决", "误报", "指派", "调整等级"}),
    (State.IN_PROGRESS, {"解决", "误报", "指派", "调整等级"}),
    (State.RESOLVED, {"重开"}),
    (State.FALSE_POSITIVE, {"重开"}),
])
def test_only_actions_valid_in_the_state(state, shown):
    found = controls(render_incident_card(replace(VIEW, state=state)))
    assert set(found) == shown
    for control in found.values():
        value = decode_action(control["behaviors"][0]["value"])  # what the handler will receive
        assert value.incident_id == 7
    if "指派" in found:
        assert found["指派"]["tag"] == "select_person"
    if "调整等级" in found:
        assert [o["value"] for o in found["调整等级"]["options"]] == ["轻微", "一般"]  # not the current grade


def test_valid_actions_follow_the_state_table():
    assert CardAction.ACK in valid_actions(State.TRIGGERED) and CardAction.ACK not in valid_actions(State.ACKNOWLEDGED)


@pytest.mark.parametrize("state, acked, owner, resolved, expected", [
    (State.TRIGGERED, None, None, None, "状态：**待认领**"),
    (State.ACKNOWLEDGED, "张三", None, None, "状态：**已认领** · 张三"),
    (State.IN_PROGRESS, "张三", "李四", None, "状态：**处理中** · 负责人 李四"),
    (State.RESOLVED, "张三", "李四", "王五", "状态：**已解决** · 王五"),
])
def test_status_line(state, acked, owner, resolved, expected):
    card = render_incident_card(replace(VIEW, state=state, acknowledged_by=acked, owner=owner, resolved_by=resolved,
                                        mentions=()))
    assert card["body"]["elements"][0]["content"] == expected


def test_mentions_are_config_open_ids_in_markdown_only():
    card = render_incident_card(replace(VIEW, mentions=("ou_oncall1", "all", "ou_x></at><at id=all")))
    status = card["body"]["elements"][0]
    assert status["tag"] == "markdown" and "<at id=ou_oncall1></at>" in status["content"]
    raw = json.dumps(card, ensure_ascii=False)
    assert raw.count("<at ") == 1 and "id=all" not in raw


def test_drill_is_marked():
    card = render_incident_card(replace(VIEW, is_drill=True))
    assert card["header"]["title"]["content"].startswith("【演练】")
    assert "演练" in card["body"]["elements"][0]["content"]


def test_reasons_facts_items_playbook():
    raw = json.dumps(render_incident_card(VIEW), ensure_ascii=False)
    for text in ("官方媒体报道", "40 条 · 20 条/小时 · 互动 12.3万 · 负面 88%", "微博、新闻", "暴力催收（催收、爆通讯录）",
                 "被催收电话打爆了", "[原文](https://weibo.com/1/abc)", "处置建议（重大）", "2. 2 小时内发布官方声明"):
        assert text in raw


def test_untrusted_text_cannot_ping_or_change_the_layout():
    view = replace(VIEW, brand=NASTY, summary=NASTY, reasons=(NASTY,), sources=(NASTY,), platforms=(NASTY,),
                   topics=(TopicLine(NASTY, (NASTY,)),), mentions=(),
                   top_items=(ItemLine(NASTY, NASTY, NASTY, None, "https://e.com/x)[y](https://evil", 1),))
    card = render_incident_card(view)
    baseline = render_incident_card(replace(VIEW, mentions=()))
    raw = json.dumps(card, ensure_ascii=False)
    assert "<at" not in raw and "](https://evil" not in raw and "![" not in raw and "**粗" not in raw
    assert "\u202e" not in raw
    assert [e["tag"] for e in card["body"]["elements"]] == [e["tag"] for e in baseline["body"]["elements"]]


def test_worst_case_stays_well_inside_30_kb():
    long = "长" * 5000
    view = replace(VIEW, brand=long, summary=long, reasons=(long,) * 50, sources=(long,) * 50, platforms=(long,) * 50,
                   topics=tuple(TopicLine(long, (long,) * 50) for _ in range(50)), playbook=(long,) * 50,
                   mentions=tuple(f"ou_{i:040d}" for i in range(20)),
                   top_items=tuple(ItemLine(long, long, long, T0, "https://e.com/" + "a" * 1900, 1) for _ in range(50)))
    size = len(json.dumps(render_incident_card(view), ensure_ascii=False).encode())
    assert size < 20_000, size
