"""The review (复盘) card, JSON 2.0: a pure render of a `bot.incidents.review.Review`.

Names, titles and notes are untrusted: they go through `safe_text` into plain_text elements only.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.cards.repair import Repair, repair_elements
from bot.cards.text import safe_text
from bot.clock import SHANGHAI

MAX_NOTES, NOTE_LIMIT, TITLE_LIMIT = 8, 200, 60
VERDICT_COLOURS = {"按时": "green", "未完成": "red"}


def span(d: timedelta | None) -> str:
    """A duration in words: 25 分钟, 1 小时 5 分."""
    if d is None:
        return "—"
    minutes = int(d.total_seconds() // 60)
    return f"{minutes // 60} 小时 {minutes % 60} 分" if minutes >= 60 else f"{minutes} 分钟"


@dataclass(frozen=True)
class Milestone:
    label: str
    at: datetime | None
    by: str | None = None


@dataclass(frozen=True)
class DeadlineResult:
    label: str
    due_at: datetime
    met_at: datetime | None
    took: timedelta | None        # from the start of the clock to the step
    late_by: timedelta | None     # None: met in time or still open

    @property
    def verdict(self) -> str:
        if self.met_at is None:
            return "未完成"
        return f"超时 {span(self.late_by)}" if self.late_by else "按时"


@dataclass(frozen=True)
class Bucket:
    start: datetime
    items: int
    sentiment: float | None  # mean probability of positive, 0 … 1


@dataclass(frozen=True)
class Note:
    at: datetime
    author: str
    text: str


@dataclass(frozen=True)
class Review:
    incident_id: int
    title: str
    brand: str
    grade: str | None
    state: str
    is_drill: bool
    milestones: list[Milestone]
    deadlines: list[DeadlineResult]
    escalations: int
    item_count: int
    bucket_hours: int
    volume: list[Bucket]
    sources: list[tuple[str, int]]
    platforms: list[tuple[str, int]]
    notes: list[Note]
    lessons: list[Note]
    generated_at: datetime
    repair: Repair | None = None  # trust repair after the statement (bot/incidents/repair.py)


def _when(at) -> str:
    return at.astimezone(SHANGHAI).strftime("%m-%d %H:%M") if at else "—"


def _md(content: str) -> dict:
    return {"tag": "markdown", "content": content}


def _text(content: str) -> dict:
    return {"tag": "div", "text": {"tag": "plain_text", "content": content}}


def volume_chart(r: Review) -> dict:
    """Items per hour (or day) and the mean sentiment, as a Feishu chart component (VChart line spec)."""
    fmt = "%m-%d %H:00" if r.bucket_hours == 1 else "%m-%d"
    values = [{"time": b.start.astimezone(SHANGHAI).strftime(fmt), "count": b.items} for b in r.volume]
    return {"tag": "chart", "aspect_ratio": "16:9", "chart_spec": {
        "type": "line", "data": [{"id": "volume", "values": values}], "xField": "time", "yField": "count",
        "point": {"visible": True}, "title": {"visible": True, "text": "声量（条）"}}}


def render_review_card(r: Review) -> dict:
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
