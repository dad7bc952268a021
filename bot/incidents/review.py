"""The post-incident review (复盘), built from the stored incident, its timeline and its items.

`load_review` reads; `build_review` is pure (rows + policy + now → Review); `render_review_md` writes the
Markdown a lead files after the event. Lessons are notes tagged `#教训` or starting `教训：`.
"""
import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.cards.review import Bucket, DeadlineResult, Milestone, Note, Review, span
from bot.cards.incident import platform_label
from bot.cards.text import safe_text
from bot.clock import SHANGHAI
from bot.alerting.queries import first_card_sent_at
from bot.config import Config
from bot.state import State
from bot.incidents.deadlines import IncidentSnapshot, Policy, deadlines_for, graded_at, policy_of
from bot.incidents.repair import load_repair, repair_md
from bot.models import Incident, IncidentEvent, Item, Source

LESSON = re.compile(r"^\s*(#教训|＃教训|教训[:：])\s*")
MAX_BUCKETS = 72  # hours; longer stories are counted per day


@dataclass(frozen=True)
class ItemRow:
    at: datetime
    source: str
    platform: str
    sentiment: float | None
    fetched_at: datetime | None = None


def _volume(items: list[ItemRow]) -> tuple[int, list[Bucket]]:
    if not items:
        return 1, []
    first, last = min(i.at for i in items), max(i.at for i in items)
    hours = 1 if last - first <= timedelta(hours=MAX_BUCKETS) else 24
    size = timedelta(hours=hours)
    origin = first.astimezone(SHANGHAI).replace(minute=0, second=0, microsecond=0)
    if hours == 24:
        origin = origin.replace(hour=0)
    n = int((last - origin) // size) + 1
    counts = [0] * n
    sums: list[list[float]] = [[] for _ in range(n)]
    for it in items:
        k = int((it.at - origin) // size)
        counts[k] += 1
        if it.sentiment is not None:
            sums[k].append(it.sentiment)
    return hours, [Bucket(origin + k * size, counts[k], round(sum(s) / len(s), 2) if s else None)
                   for k, s in enumerate(sums)]


def build_review(inc: Incident, events: list[IncidentEvent], items: list[ItemRow], alerted_at: datetime | None,
                 policy: Policy, names, now: datetime) -> Review:
    """The review of one incident; `names(open_id) -> str` gives display names."""
    rises = [(e.at, e.detail or {}) for e in events if e.kind in ("graded", "regrade")]
    snap = IncidentSnapshot.of(inc, graded_at(rises, inc.grade, inc.opened_at))
    who = lambda oid: names(oid) if oid else None  # noqa: E731
    by = {e.kind: e.actor_name for e in events if e.kind in ("assessed", "statement")}
    # discovered: when the first of its items was fetched (a reopening moves opened_at, not the discovery)
    discovered = min((i.fetched_at for i in items if i.fetched_at), default=inc.opened_at)
    milestones = [Milestone("发现", discovered), Milestone("告警", alerted_at),
                  Milestone("认领", inc.acknowledged_at, who(inc.acknowledged_by)),
                  Milestone("指派", inc.assigned_at, who(inc.owner) if inc.assigned_at else None), Milestone("研判", inc.assessed_at, by.get("assessed")),
                  Milestone("声明", inc.statement_at, by.get("statement")),
                  Milestone("误报关闭" if inc.state == "false_positive" else "解决", inc.resolved_at, who(inc.resolved_by))]
    # a step done before its clock started (acknowledged, then raised to 重大) took no time against it
    results = [DeadlineResult(d.kind.label, d.due_at, d.met_at,
                              max(d.met_at - snap.clock_start, timedelta(0)) if d.met_at else None,
                              d.late_by or None)
               for d in deadlines_for(snap, policy)]
    notes: list[Note] = []
    lessons: list[Note] = []
    for e in events:
        if e.kind not in ("note", "assessed", "statement"):  # the assessment and statement texts read as notes
            continue
        text = (e.detail or {}).get("text", e.text)
        note = Note(e.at, e.actor_name or names(e.actor), LESSON.sub("", text))
        (lessons if LESSON.match(text) else notes).append(note)
    hours, volume = _volume(items)
    return Review(inc.id, inc.title or "", inc.brand, inc.grade, inc.state, bool(inc.is_drill), milestones, results,
                  sum(e.kind == "escalated" for e in events), len(items), hours, volume,
                  Counter(i.source for i in items).most_common(),
                  Counter(platform_label(i.platform) for i in items).most_common(),
                  notes, lessons, now)


def load_review(session: Session, config: Config, incident_id: int, now: datetime) -> Review | None:
    """Read one incident's rows and build its review; None if there is no such incident."""
    inc = session.get(Incident, incident_id)
    if inc is None:
        return None
    events = list(session.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == incident_id)
                                  .order_by(IncidentEvent.at, IncidentEvent.id)))
    rows = session.execute(select(func.coalesce(Item.published_at, Item.fetched_at), Source.name, Item.platform,
                                  Item.sentiment, Item.fetched_at).join(Source, Source.id == Item.source_id)
                           .where(Item.incident_id == incident_id)).all()
    alerted = first_card_sent_at(session, incident_id)
    review = build_review(inc, events, [ItemRow(*r) for r in rows], alerted, policy_of(inc.policy, config),
                          config.team.name_of, now)
    return replace(review, repair=load_repair(session, config.repair, inc, now))


def _when(at: datetime | None) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if at else "—"


def render_review_md(r: Review) -> str:
    """The review as Markdown; untrusted text (titles, notes, names) is made inert."""
    kind = "演练复盘" if r.is_drill else "事件复盘"
    out = [f"# {kind} #{r.incident_id}：{safe_text(r.title, 120)}", "",
           f"- 品牌：{safe_text(r.brand, 60)}　等级：{r.grade or '未定级'}　状态：{State(r.state).label}",
           f"- 内容 {r.item_count} 条，升级提醒 {r.escalations} 次", "", "## 时间线", "",
           "| 环节 | 时间 | 人员 |", "|---|---|---|"]
    out += [f"| {m.label} | {_when(m.at)} | {safe_text(m.by, 30) if m.by else ''} |" for m in r.milestones]
    out += ["", "## 时限", "", "| 环节 | 时限 | 完成 | 用时 | 结果 |", "|---|---|---|---|---|"]
    out += [f"| {d.label} | {_when(d.due_at)} | {_when(d.met_at)} | {span(d.took)} | {d.verdict} |"
            for d in r.deadlines] or ["| — | 本等级无响应时限 | | | |"]
    unit = "小时" if r.bucket_hours == 1 else "天"
    out += ["", f"## 声量与情感（每{unit}）", "", "| 时段 | 条数 | 平均情感 |", "|---|---|---|"]
    out += [f"| {_when(b.start)} | {b.items} | {'' if b.sentiment is None else f'{b.sentiment:+.2f}'} |"
            for b in r.volume]
    out += ["", "## 来源与平台", ""]
    out.append("- 来源：" + ("、".join(f"{safe_text(s, 40)} {n}" for s, n in r.sources) or "—"))
    out.append("- 平台：" + ("、".join(f"{safe_text(p, 20)} {n}" for p, n in r.platforms) or "—"))
    for title, notes in (("备注", r.notes), ("经验教训", r.lessons)):
        out += ["", f"## {title}", ""]
        out += [f"- {_when(n.at)} {safe_text(n.author, 30)}：{safe_text(n.text, 1000)}" for n in notes] or ["- （无）"]
    if r.repair is not None:
        out += ["", *repair_md(r.repair)]
    out += ["", f"_生成于 {_when(r.generated_at)}_", ""]
    return "\n".join(out)


def render_review_text(r: Review) -> str:
    """The review as plain text for a terminal: the Markdown without its table and heading markup."""
    lines = []
    for line in render_review_md(r).splitlines():
        if line.startswith("|---"):
            continue
        if line.startswith("|"):
            line = "  ".join(cell.strip() for cell in line.strip("|").split("|"))
        lines.append(line.lstrip("# ").strip("_"))
    return "\n".join(lines)
