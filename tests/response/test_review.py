"""The post-incident review: timeline, deadlines met or missed, volume, notes and lessons; Markdown, card, CLI."""
import json

from click.testing import CliRunner

from bot.cards.review import render_review_card
from bot.cli import main
from bot.incidents.review import load_review, render_review_md, render_review_text
from bot.models import Delivery, Incident, IncidentEvent
from tests.response.conftest import ALICE, BOB, CONFIG, add_items, make_incident, minutes


def _story(rt, clock) -> int:
    t0 = clock.now()
    with rt.sessions() as s, s.begin():
        inc = make_incident(s, t0, title="星河消费金融<at id=all></at>暴力催收")
        inc.acknowledged_at, inc.acknowledged_by, inc.owner = t0 + minutes(10), ALICE, BOB
        inc.assigned_at, inc.assessed_at = t0 + minutes(12), t0 + minutes(75)
        inc.statement_at, inc.resolved_at, inc.resolved_by = t0 + minutes(110), t0 + minutes(300), BOB
        inc.state, inc.open_key = "resolved", None
        add_items(s, inc, [t0 + minutes(m) for m in (0, 5, 30, 65, 70, 75, 130)], sentiment=-0.5)
        add_items(s, inc, [t0 + minutes(20)], source="黑猫投诉", platform="complaint", sentiment=0.5)
        for at, text in ((30, "已联系用户核实"), (320, "#教训 催收外包需要每周抽检录音"), (330, "教训：声明应先过法务")):
            s.add(IncidentEvent(incident_id=inc.id, at=t0 + minutes(at), kind="note", actor=BOB, actor_name="李四",
                                via="command", text=text, detail={"text": text}))
        s.add(IncidentEvent(incident_id=inc.id, at=t0 + minutes(70), kind="escalated", via="system", text="⏰"))
        return inc.id


def test_review_holds_every_step_against_its_deadline(rt, clock):
    iid = _story(rt, clock)
    with rt.sessions() as s:
        r = load_review(s, rt.config, iid, clock.advance(hours=6))
    assert [(m.label, m.by) for m in r.milestones if m.at] == [
        ("发现", None), ("告警", None), ("认领", "张三"), ("指派", "李四"), ("研判", None), ("声明", None), ("解决", "李四")]
    assert [(d.label, d.verdict) for d in r.deadlines] == [("认领", "按时"), ("研判", "超时 15 分钟"), ("官方声明", "按时")]
    assert [b.items for b in r.volume] == [4, 3, 1]        # 10:00, 11:00, 12:00 Shanghai
    assert r.volume[0].sentiment == -0.25 and r.item_count == 8
    assert r.sources == [("weibo", 7), ("黑猫投诉", 1)]
    assert [n.text for n in r.notes] == ["已联系用户核实"]
    assert [n.text for n in r.lessons] == ["催收外包需要每周抽检录音", "声明应先过法务"]
    assert r.escalations == 1


def test_markdown_and_text(rt, clock):
    iid = _story(rt, clock)
    with rt.sessions() as s:
        r = load_review(s, rt.config, iid, clock.now())
    md = render_review_md(r)
    assert md.startswith(f"# 事件复盘 #{iid}：")
    assert "| 研判 | 2026-11-23 11:00 | 2026-11-23 11:15 | 1 小时 15 分 | 超时 15 分钟 |" in md
    assert "## 经验教训" in md and "催收外包需要每周抽检录音" in md
    assert "<at" not in md  # the title's markup is inert
    text = render_review_text(r)
    assert "|" not in text and "研判  2026-11-23 11:00" in text


def test_review_card_is_json_2_with_a_chart(rt, clock):
    iid = _story(rt, clock)
    with rt.sessions() as s:
        card = render_review_card(load_review(s, rt.config, iid, clock.now()))
    assert card["schema"] == "2.0"
    chart = next(e for e in card["body"]["elements"] if e["tag"] == "chart")
    assert [v["count"] for v in chart["chart_spec"]["data"][0]["values"]] == [4, 3, 1]
    dumped = json.dumps(card, ensure_ascii=False)
    assert "<at id=all>" not in dumped and "@all" not in dumped
    assert all(e["text"]["tag"] == "plain_text" for e in card["body"]["elements"] if e["tag"] == "div")


def test_an_incident_without_grade_or_items_still_reviews(rt, clock):
    with rt.sessions() as s, s.begin():
        iid = make_incident(s, clock.now(), grade=None).id
    with rt.sessions() as s:
        r = load_review(s, rt.config, iid, clock.now())
        assert load_review(s, rt.config, 999, clock.now()) is None
    assert r.deadlines == [] and r.volume == []
    assert "本等级无响应时限" in render_review_md(r)
    render_review_card(r)


def test_cli_report(rt, clock, tmp_path, db_url):
    iid = _story(rt, clock)
    runner = CliRunner()
    config = tmp_path / "config.yaml"  # written by make_runtime, pointing at the test database
    out = tmp_path / "review.md"
    result = runner.invoke(main, ["report", str(iid), "-c", str(config), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "## 时限" in out.read_text(encoding="utf-8")
    result = runner.invoke(main, ["report", str(iid), "-c", str(config), "--format", "text"])
    assert result.exit_code == 0 and "经验教训" in result.output
    result = runner.invoke(main, ["report", "999", "-c", str(config)])
    assert result.exit_code == 1 and "no incident #999" in result.output


def test_review_numbers_you_can_trust(rt, clock):
    """Acknowledged before it became 重大: the ack took no time against its clock, never a negative one;
    reopened later: "discovered" stays the first item's fetch time, before the alert; acknowledged but never
    assigned: 指派 names nobody; platforms read as on the cards."""
    t0 = clock.now()
    with rt.sessions() as s, s.begin():
        inc = make_incident(s, t0 + minutes(18), grade="重大", title="星河消费金融 催收")  # reopened at +18
        inc.acknowledged_at, inc.acknowledged_by, inc.owner = t0 + minutes(20), ALICE, ALICE
        inc.state = "acknowledged"
        add_items(s, inc, [t0, t0 + minutes(1)], source="黑猫投诉", platform="complaint")
        s.add(IncidentEvent(incident_id=inc.id, at=t0 + minutes(22), kind="graded", via="system", text="↑",
                            detail={"from": "一般", "to": "重大"}))
        iid = inc.id
    with rt.sessions() as s:
        r = load_review(s, rt.config, iid, clock.advance(hours=1))
    took = {d.label: d.took for d in r.deadlines}
    assert took["认领"] is not None and took["认领"].total_seconds() == 0
    assert all(d.took is None or d.took.total_seconds() >= 0 for d in r.deadlines)
    milestones = {m.label: m for m in r.milestones}
    assert milestones["发现"].at == t0 and milestones["发现"].at <= milestones["认领"].at
    assert milestones["指派"].at is None and milestones["指派"].by is None
    assert r.platforms == [("投诉平台", 2)]
    assert "平台：投诉平台 2" in render_review_md(r) and "complaint" not in render_review_md(r)
