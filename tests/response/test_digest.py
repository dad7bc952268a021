"""The daily digest: figures without drills, the chart, and one card per day at the configured time."""
from sqlalchemy import select

from bot.cards.digest import render_digest_card
from bot.incidents.digest import load_digest
from bot.incidents.drills import start_drill
from bot.models import Delivery
from jobs.digest import send_digest
from tests.response.conftest import ALICE, CRISIS, add_items, make_incident, minutes


def _week(rt, clock):
    t0 = clock.now()  # Monday 10:00 Shanghai
    with rt.sessions() as s, s.begin():
        a = make_incident(s, t0 - minutes(600), grade="一般", state="resolved", acknowledged_at=t0 - minutes(590),
                          resolved_at=t0 - minutes(480))
        b = make_incident(s, t0 - minutes(120), grade="重大", state="acknowledged", acknowledged_at=t0 - minutes(90))
        c = make_incident(s, t0 - minutes(30), grade="轻微", brand="青橙分期")
        for row in add_items(s, b, [t0 - minutes(100), t0 - minutes(95), t0 - minutes(20)]):
            row.topics = [{"name": "暴力催收", "words": ["催收"]}]
        add_items(s, c, [t0 - minutes(25)])[0].topics = [{"name": "客服", "words": []}]
        start_drill(s, rt.config, "重大", ALICE, t0 - minutes(60))  # never counted
        return a.id, b.id, c.id


def test_digest_figures_leave_drills_out(rt, clock):
    a, b, c = _week(rt, clock)
    with rt.sessions() as s:
        d = load_digest(s, rt.config, clock.now())
    assert d.counts == {"一般": {"已解决": 1}, "重大": {"已认领": 1}, "轻微": {"待认领": 1}}
    assert (d.ack_n, d.ack_median) == (2, minutes(20))       # 10 and 30 minutes
    assert (d.resolve_n, d.resolve_median) == (1, minutes(120))
    # 重大 opened 2 h ago, neither assessed nor stated; the 重大 drill, equally late, is not listed
    assert [(o.incident_id, o.missed) for o in d.overdue] == [(b, "研判"), (b, "官方声明")]
    assert d.top_brands == [("星河消费金融", 3), ("青橙分期", 1)]
    assert d.top_topics == [("暴力催收", 3), ("客服", 1)]
    hours = {(h, g): n for h, g, n in d.volume}
    assert (hours[("08:00", "重大")], hours[("09:00", "重大")], hours[("09:00", "轻微")]) == (2, 1, 1)
    assert len({h for h, _, _ in d.volume}) == 24
    card = render_digest_card(d)
    chart = next(e for e in card["body"]["elements"] if e["tag"] == "chart")["chart_spec"]
    assert chart["type"] == "bar" and chart["seriesField"] == "grade" and chart["stack"] is True
    assert "【演练】" not in str(card)


def test_digest_goes_out_once_a_day_at_its_time(rt, clock):
    _week(rt, clock)
    clock._now = clock.now().replace(hour=0, minute=59)  # 08:59 Shanghai
    assert send_digest(rt) is None
    clock.advance(minutes=1)
    assert send_digest(rt) == "digest-2026-11-23"
    assert send_digest(rt) is None
    clock.advance(hours=5)
    assert send_digest(rt) is None
    clock.advance(hours=20)  # Tuesday 10:00
    assert send_digest(rt) == "digest-2026-11-24"
    with rt.sessions() as s:
        rows = s.scalars(select(Delivery).where(Delivery.uuid.like("digest-%")).order_by(Delivery.id)).all()
    assert [(r.kind, r.chat_id, r.msg_type) for r in rows] == [("digest", CRISIS, "interactive")] * 2
    assert rows[0].payload["content"]["schema"] == "2.0"
