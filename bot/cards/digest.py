"""The daily digest card (JSON 2.0): counts, response times, overdue incidents, top brands and topics, and
a stacked bar chart of mentions per hour by grade (the card's `chart` component takes a VChart spec)."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.cards.review import span
from bot.cards.text import safe_text
from bot.config.customers import TIER_LABELS


@dataclass(frozen=True)
class CustomerIncident:
    incident_id: int
    title: str
    grade: str | None
    tier: str
    customer: str


@dataclass(frozen=True)
class Overdue:
    incident_id: int
    title: str
    grade: str | None
    missed: str            # 认领 / 研判 / 官方声明
    late_minutes: int      # past the deadline


@dataclass(frozen=True)
class Digest:
    day: str                                  # local date, YYYY-MM-DD
    generated_at: datetime
    counts: dict[str, dict[str, int]]         # grade → state → incidents opened in 24 h or still open
    ack_median: timedelta | None              # last 7 days
    ack_n: int
    resolve_median: timedelta | None
    resolve_n: int
    overdue: list[Overdue]
    top_brands: list[tuple[str, int]]         # items in 24 h
    top_topics: list[tuple[str, int]]
    volume: list[tuple[str, str, int]]        # (hour "HH:00", grade, items) over the last 24 h
    customers: list[CustomerIncident] = field(default_factory=list)  # VIP first: listed at the top


GRADE_COLOURS = {"重大": "#F54A45", "一般": "#FF8800", "轻微": "#3370FF", "未定级": "#8F959E"}
MAX_OVERDUE = 10


def _md(content: str) -> dict:
    return {"tag": "markdown", "content": content}


def _text(content: str) -> dict:
    return {"tag": "div", "text": {"tag": "plain_text", "content": content}}


def volume_chart(d: Digest) -> dict:
    """Mentions per hour over the last 24 hours, stacked by grade."""
    grades = list(dict.fromkeys(g for _, g, _ in d.volume))
    values = [{"hour": h, "grade": g, "count": n} for h, g, n in d.volume]
    return {"tag": "chart", "aspect_ratio": "16:9", "chart_spec": {
        "type": "bar", "data": [{"id": "volume", "values": values}], "xField": "hour", "yField": "count",
        "seriesField": "grade", "stack": True, "legends": {"visible": True, "orient": "bottom"},
        "color": {"type": "ordinal", "domain": grades, "range": [GRADE_COLOURS[g] for g in grades]},
        "title": {"visible": True, "text": "近 24 小时声量（条/小时）"}}}


def customer_elements(d: Digest) -> list[dict]:
    """VIP and important-partner incidents, listed first (customer names stay in the chat)."""
    if not d.customers:
        return []
    lines = [f"#{c.incident_id}【{c.grade or '未定级'}】{TIER_LABELS.get(c.tier, c.tier)} {safe_text(c.customer, 20)}"
             f" · {safe_text(c.title, 40)}" for c in d.customers[:MAX_OVERDUE]]
    return [_md(f"**<font color='red'>重要客户相关 {len(d.customers)} 起</font>**"), _text("\n".join(lines))]


def render_digest_card(d: Digest) -> dict:
    """Card JSON 2.0 of the daily digest (drills excluded upstream)."""
    counts = ["　".join([f"**{g}**"] + [f"{s} {n}" for s, n in states.items()]) for g, states in d.counts.items()]
    elements = customer_elements(d) + [_md("**近 24 小时事件**\n" + ("\n".join(counts) or "无")),
                _md(f"**近 7 天响应**　认领中位 {span(d.ack_median)}（{d.ack_n} 起）"
                    f"　解决中位 {span(d.resolve_median)}（{d.resolve_n} 起）")]
    if d.overdue:
        lines = [f"#{o.incident_id}【{o.grade}】{safe_text(o.title, 40)} · {o.missed}超时 {o.late_minutes} 分钟"
                 for o in d.overdue[:MAX_OVERDUE]]
        elements += [_md(f"**<font color='red'>超时未办 {len(d.overdue)} 起</font>**"), _text("\n".join(lines))]
    brands = "、".join(f"{b} {n}" for b, n in d.top_brands) or "—"
    topics = "、".join(f"{t} {n}" for t, n in d.top_topics) or "—"
    elements += [_md("**热点品牌与话题**（近 24 小时内容条数）"),
                 _text(safe_text(f"品牌：{brands}\n话题：{topics}", 400))]
    if d.volume:
        elements.append(volume_chart(d))
    return {"schema": "2.0", "config": {"update_multi": True},
            "header": {"title": {"tag": "plain_text", "content": f"舆情日报 {d.day}"}, "template": "blue"},
            "body": {"elements": elements}}
