"""The review (复盘) card, JSON 2.0: a pure render of a `bot.incidents.review.Review`.

Names, titles and notes are untrusted: they go through `safe_text` into plain_text elements only.
"""
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.cards.repair import repair_elements
from bot.cards.text import safe_text
from bot.clock import SHANGHAI

if TYPE_CHECKING:  # the view model lives with its builder; cards stay below the services
    from bot.incidents.review import Review

MAX_NOTES, NOTE_LIMIT, TITLE_LIMIT = 8, 200, 60
VERDICT_COLOURS = {"按时": "green", "未完成": "red"}


def span(d: timedelta | None) -> str:
    """A duration in words: 25 分钟, 1 小时 5 分."""
    if d is None:
        return "—"
    minutes = int(d.total_seconds() // 60)
    return f"{minutes // 60} 小时 {minutes % 60} 分" if minutes >= 60 else f"{minutes} 分钟"


def _when(at) -> str:
    return at.astimezone(SHANGHAI).strftime("%m-%d %H:%M") if at else "—"


def _md(content: str) -> dict:
    return {"tag": "markdown", "content": content}


def _text(content: str) -> dict:
    return {"tag": "div", "text": {"tag": "plain_text", "content": content}}


def volume_chart(r: "Review") -> dict:
    """Items per hour (or day) and the mean sentiment, as a Feishu chart component (VChart line spec)."""
    fmt = "%m-%d %H:00" if r.bucket_hours == 1 else "%m-%d"
    values = [{"time": b.start.astimezone(SHANGHAI).strftime(fmt), "count": b.items} for b in r.volume]
    return {"tag": "chart", "aspect_ratio": "16:9", "chart_spec": {
        "type": "line", "data": [{"id": "volume", "values": values}], "xField": "time", "yField": "count",
        "point": {"visible": True}, "title": {"visible": True, "text": "声量（条）"}}}


def render_review_card(r: "Review") -> dict:
    """Card JSON 2.0 of a post-incident review."""
    kind = "演练复盘" if r.is_drill else "事件复盘"
    elements: list[dict] = [_md(f"**等级** {r.grade or '未定级'} · **内容** {r.item_count} 条 · "
                                f"**升级提醒** {r.escalations} 次")]
    timeline = [f"{m.label}　{_when(m.at)}" + (f"　{safe_text(m.by, 20)}" if m.by else "") for m in r.milestones]
    elements += [_md("**时间线**"), _text("\n".join(timeline))]
    if r.deadlines:
        lines = []
        for d in r.deadlines:
            colour = VERDICT_COLOURS.get(d.verdict, "orange")
            lines.append(f"{d.label}：时限 {_when(d.due_at)} · 用时 {span(d.took)} · "
                         f"<font color='{colour}'>{d.verdict}</font>")
        elements += [_md("**响应时限**\n" + "\n".join(lines))]
    if r.volume:
        elements.append(volume_chart(r))
    where = "、".join(f"{s} {n}" for s, n in r.sources[:6]) or "—"
    platforms = "、".join(f"{p} {n}" for p, n in r.platforms[:6]) or "—"
    elements += [_md("**来源与平台**"), _text(safe_text(f"来源：{where}\n平台：{platforms}", 500))]
    for title, notes in (("经验教训", r.lessons), ("备注", r.notes)):
        if notes:
            lines = [f"· {safe_text(n.author, 20)}：{safe_text(n.text, NOTE_LIMIT)}" for n in notes[:MAX_NOTES]]
            more = f"\n（另有 {len(notes) - MAX_NOTES} 条）" if len(notes) > MAX_NOTES else ""
            elements += [_md(f"**{title}**"), _text("\n".join(lines) + more)]
    if r.repair is not None:
        elements += repair_elements(r.repair)
    elements.append(_md(f"<font color='grey'>事件 #{r.incident_id} · 生成于 {_when(r.generated_at)}</font>"))
    return {"schema": "2.0", "config": {"update_multi": True},
            "header": {"title": {"tag": "plain_text", "content": f"【{kind}】#{r.incident_id}"},
                       "subtitle": {"tag": "plain_text", "content": safe_text(r.title, TITLE_LIMIT) or "（无标题）"},
                       "template": "violet" if r.is_drill else "blue"},
            "body": {"elements": elements}}
