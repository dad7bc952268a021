"""Signal quality through the database path: what a chunk stores, groups and grades (as a scan does)."""
from datetime import timedelta

from sqlalchemy import select

from bot.incidents.intake import NewItem, accept_items, analyse, analysis_columns, analyzer_for
from bot.items.normalise import NormalisedItem
from bot.items.store import insert_items, item_values
from bot.models import Incident, Item, Source

BRANDS = [{"name": "星河消费金融", "aliases": ["星河消金"]}]


def _source(s, clock, name="src", platform="weibo"):
    s.add(Source(name=name, kind="rss", platform=platform, cursor={}, created_at=clock.now()))
    s.flush()
    return s.scalar(select(Source.id).where(Source.name == name))


def _ingest(s, rt, source: str, platform: str, records: list[tuple], now) -> list[Item]:
    """Store and accept one batch of (external id, text, published, author, target) the way a scan chunk does;
    returns the stored rows in order."""
    row = s.scalar(select(Source).where(Source.name == source))
    items = [NormalisedItem(source, platform, ext, None, "", text, author, at, now, target=target)
             for ext, text, at, author, target in records]
    analyzer = analyzer_for(rt.config, s)
    analyses = [analyse(rt.config, source, it, analyzer) for it in items]
    ids, rejected = insert_items(s, row, items, [item_values(row, it, 1.0, analysis_columns(a, 1.0))
                                                 for it, a in zip(items, analyses)])
    assert not rejected
    accept_items(s, rt.config, source, [NewItem(ids[it.external_id], it, a) for it, a in zip(items, analyses)], now)
    s.flush()
    return [s.get_one(Item, ids[it.external_id]) for it in items]


def test_a_traditional_copy_joins_the_simplified_incident_and_keeps_its_text(make_runtime, clock):
    rt = make_runtime({"brands": BRANDS})
    story = "星河消费金融被曝暴力催收，多名借款人称催收人员骚扰亲友，客服电话一直打不通。"
    copy = "星河消費金融被曝暴力催收，多名借款人稱催收人員騷擾親友，客服電話一直打不通。"
    with rt.sessions() as s, s.begin():
        _source(s, clock)
        first, second = _ingest(s, rt, "src", "weibo", [("1", story, clock.now(), None, None),
                                                          ("2", copy, clock.now() + timedelta(minutes=3), None, None)],
                                clock.now())
        assert first.incident_id is not None and second.incident_id == first.incident_id
        assert second.text == copy                        # cards show the original text
        assert second.brands[0]["name"] == "星河消费金融" and second.negative


def test_complaint_record_target_names_the_brand(make_runtime, clock):
    rt = make_runtime({"brands": BRANDS})
    with rt.sessions() as s, s.begin():
        _source(s, clock, "heimao", "complaint")
        [row] = _ingest(s, rt, "heimao", "complaint",
                        [("1", "借款后每月被扣一笔费用，要求退还", clock.now(), None, "星河消金")], clock.now())
        assert row.brands == [{"name": "星河消费金融", "negative": True, "matched": "星河消金"}]
        assert row.incident_id is not None


def test_six_customers_with_one_fee_complaint_reach_moderate(make_runtime, clock):
    rt = make_runtime({"brands": BRANDS})
    with rt.sessions() as s, s.begin():
        _source(s, clock, "heimao", "complaint")
        rows = _ingest(s, rt, "heimao", "complaint",
                       [(str(i), f"星河消费金融借款后被扣了会员费{i + 2}百元，不退", clock.now() + timedelta(hours=i * 2),
                         f"客户{i}", None) for i in range(6)], clock.now() + timedelta(hours=10))
        incident = s.get(Incident, rows[0].incident_id)
        assert {r.incident_id for r in rows} == {incident.id}
        assert incident.grade == "一般"
        assert any(r.startswith("投诉模式：12 小时内 6 位用户") for r in incident.reasons)


def test_the_fix_statement_from_state_media_does_not_lift_the_outage(make_runtime, clock):
    rt = make_runtime({"brands": BRANDS, "analysis": {"grading": {"source_tiers": {"xinhua": "state_media"}}}})
    with rt.sessions() as s, s.begin():
        _source(s, clock)
        _source(s, clock, "xinhua", "news")
        outage = _ingest(s, rt, "src", "weibo",
                         [(str(i), t, clock.now() + timedelta(minutes=i), f"u{i}", None)
                          for i, t in enumerate(["星河消费金融app闪退，还款一直失败", "星河消费金融系统故障无法还款"])],
                         clock.now())
        [fix] = _ingest(s, rt, "xinhua", "news",
                        [("fix", "星河消费金融：系统故障已修复，还款功能恢复正常，向用户致歉并延长还款期",
                          clock.now() + timedelta(minutes=30), None, None)], clock.now() + timedelta(minutes=30))
        incident = s.get(Incident, outage[0].incident_id)
        assert outage[1].incident_id == incident.id
        assert not fix.negative
        assert incident.grade != "重大"
        assert not any("官方媒体" in r for r in incident.reasons)


def test_a_complaint_pattern_builds_up_over_separate_scans(make_runtime, clock):
    """The six customers arrive in six chunks: the incident's stored tally keeps the authors of the pattern
    window between them, so the sixth reaches 一般 without a re-read of the incident's items."""
    rt = make_runtime({"brands": BRANDS})
    with rt.sessions() as s, s.begin():
        _source(s, clock, "heimao", "complaint")
    for i in range(6):
        at = clock.now() + timedelta(hours=i * 2)
        with rt.sessions() as s, s.begin():
            [row] = _ingest(s, rt, "heimao", "complaint",
                            [(str(i), f"星河消费金融借款后被扣了会员费{i + 2}百元，不退", at, f"客户{i}", None)], at)
            incident = s.get_one(Incident, row.incident_id)
            grade, reasons, authored = incident.grade, list(incident.reasons), len(incident.tally["authored"])
        assert authored == i + 1
    assert grade == "一般" and any(r.startswith("投诉模式：12 小时内 6 位用户") for r in reasons)
