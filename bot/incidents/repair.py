"""Trust repair (信任修复), tracked to the end: after an incident's official statement, the public reaction in
windows — the day before the statement, the first 24 h after it, then each week up to `repair.horizon_weeks` —
with volume, negative share and the top new complaints of each; whether doubts persist after 24 h; the repair
actions recorded with /repair; and whether the story was calm within the horizon.

"The reaction" is every item of the incident's brand and event, across incidents (after resolution new items
open a new incident of the same brand and event), and the brand's items with no risk topic (event 其他: thanks,
praise, neutral talk — how a statement is received), but not the brand's other risk stories; drills only with
drills. `summarise` is pure.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.alerting.kinds import Outbound
from bot.alerting.pipeline import Outgoing, submit
from bot.cards.repair import DAY, Repair, RepairAction, Window
from bot.cards.text import safe_text
from bot.clock import SHANGHAI
from bot.config import Config
from bot.config.repair import RepairConfig
from bot.incidents.actions import Actor
from bot.incidents.once import fire_once
from bot.models import Incident, IncidentEvent, Item
from bot.oncall import on_call

MAX_COMPLAINTS = 3
NO_TOPIC = "其他"  # the event key of an item with no risk topic (bot.analysis.pipeline.Analysis.event_key)

# a /repair text that hands in the detailed investigation report the bot asked for
REPORT_WORDS = ("补充调查报告", "调查报告")


@dataclass(frozen=True)
class ReactionItem:
    at: datetime
    negative: bool
    title: str
    engagement: int


def window_bounds(statement_at: datetime, weeks: int) -> list[tuple[str, datetime, datetime]]:
    first_end = statement_at + DAY
    out = [("声明前 24 小时", statement_at - DAY, statement_at), ("声明后 24 小时", statement_at, first_end)]
    out += [(f"第 {k} 周", first_end + (k - 1) * 7 * DAY, first_end + k * 7 * DAY) for k in range(1, weeks + 1)]
    return out


def _calm_week(before: Window, weeks: list[Window], ratio: float) -> int | None:
    closed = [w for w in weeks if w.closed]
    if not closed:
        return None
    limit = ratio * before.negative_per_day
    calm_from = None
    for k, w in enumerate(closed, 1):
        if w.negative_per_day <= limit:
            calm_from = calm_from or k
        else:
            calm_from = None
    return calm_from


def summarise(items: list[ReactionItem], statement_at: datetime, cfg: RepairConfig, now: datetime,
              actions: list[RepairAction], asked: tuple[datetime, datetime] | None) -> Repair:
    """The repair tracking as of `now` (pure): windows, doubts, the report, calm."""
    windows: list[Window] = []
    seen: set[str] = set()
    for label, start, end in window_bounds(statement_at, cfg.horizon_weeks):
        inside = [i for i in items if start <= i.at < end]
        negative = sorted((i for i in inside if i.negative), key=lambda i: (-i.engagement, i.at))
        fresh = [t for t in dict.fromkeys(i.title for i in negative if i.title) if t not in seen]
        seen.update(i.title for i in inside)
        windows.append(Window(label, start, end, len(inside), len(negative), tuple(fresh[:MAX_COMPLAINTS]),
                              end <= now))
    before, first = windows[0], windows[1]
    doubts = None if not first.closed else first.volume > 0 and first.share > before.share - cfg.doubt_margin
    report = next((a.at for a in actions if a.text.startswith(REPORT_WORDS)), None)
    return Repair(statement_at, cfg.horizon_weeks, windows, actions, doubts, asked[0] if asked else None,
                  asked[1] if asked else None, report, _calm_week(before, windows[2:], cfg.calm_ratio))


# -- the database side -------------------------------------------------------------------------------
def reaction_items(session: Session, inc: Incident, since: datetime, until: datetime) -> list[ReactionItem]:
    """The reaction in [since, until): items of the incident's brand and event, or of its brand and no topic."""
    seen = func.coalesce(Item.published_at, Item.fetched_at)
    rows = session.execute(
        select(seen, Item.negative, Item.title, Item.text, Item.reposts + Item.comments + Item.likes + Item.views / 100)
        .join(Incident, Incident.id == Item.incident_id)
        .where(Incident.brand == inc.brand, Incident.event_key.in_((inc.event_key, NO_TOPIC)),
               Incident.is_drill == inc.is_drill,
               seen >= since, seen < until)
    ).all()
    return [ReactionItem(at, bool(neg), (title or text or "")[:80], int(eng or 0)) for at, neg, title, text, eng in rows]


def repair_actions(session: Session, incident_id: int) -> list[RepairAction]:
    rows = session.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == incident_id,
                                                       IncidentEvent.kind == "repair")
                           .order_by(IncidentEvent.at, IncidentEvent.id))
    return [RepairAction(e.at, e.actor_name or "成员", (e.detail or {}).get("text", e.text)) for e in rows]


def report_asked(session: Session, incident_id: int) -> tuple[datetime, datetime] | None:
    """When the bot asked for the 补充调查报告, and its deadline."""
    e = session.scalar(select(IncidentEvent).where(IncidentEvent.incident_id == incident_id,
                                                   IncidentEvent.kind == "repair_ask").limit(1))
    if e is None:
        return None
    return e.at, datetime.fromisoformat((e.detail or {})["due"])


def load_repair(session: Session, cfg: RepairConfig, inc: Incident, now: datetime) -> Repair | None:
    """The repair tracking of an incident with a statement, else None."""
    if inc.statement_at is None:
        return None
    bounds = window_bounds(inc.statement_at, cfg.horizon_weeks)
    items = reaction_items(session, inc, bounds[0][1], bounds[-1][2])
    return summarise(items, inc.statement_at, cfg, now, repair_actions(session, inc.id), report_asked(session, inc.id))


def record_action(session: Session, incident_id: int, actor: Actor, text: str, now: datetime) -> bool:
    """A repair action (用户关怀计划 …, or the 补充调查报告) on the timeline; False if there is no such incident."""
    inc = session.get(Incident, incident_id)
    if inc is None:
        return False
    session.add(IncidentEvent(incident_id=incident_id, at=now, kind="repair", actor=actor.open_id,
                              actor_name=actor.name, chat_id=actor.chat_id, via=actor.via, text=f"修复行动：{text}",
                              detail={"text": text, "report": text.startswith(REPORT_WORDS)}))
    session.flush()
    return True


# -- following it in the card's thread ---------------------------------------------------------------
def _pct(x: float) -> str:
    return f"{x:.0%}"


def window_text(incident_id: int, w: Window, before: Window) -> str:
    lines = [f"🤝 信任修复 #{incident_id} · {w.label}：{w.volume} 条，负面 {_pct(w.share)}"
             f"（{before.label}：{before.volume} 条，负面 {_pct(before.share)}）"]
    if w.complaints:
        lines.append("新增投诉：" + "；".join(safe_text(t, 40) for t in w.complaints))
    return "\n".join(lines)


def ask_text(incident_id: int, r: Repair, due: datetime) -> str:
    lines = [f"❓ 信任修复 #{incident_id}：声明后 24 小时负面占比 {_pct(r.first.share)}，未比声明前"
             f"（{_pct(r.before.share)}）明显下降，公众质疑仍在。",
             f"请在 {due.astimezone(SHANGHAI):%m-%d %H:%M} 前发布补充调查报告，并以 /repair {incident_id} 补充调查报告 链接 记录。"]
    return "\n".join(lines)


def track_incident(session: Session, config: Config, incident_id: int, now: datetime) -> int:
    """Post each window's summary once it closes, and ask once for the report if doubts persist; returns how
    many messages were queued. Runs under the incident's row lock."""
    inc = session.get(Incident, incident_id, with_for_update=True)
    if inc is None or inc.statement_at is None or inc.state == "false_positive":
        return 0
    r = load_repair(session, config.repair, inc, now)
    assert r is not None
    queued = 0
    stamp = int(r.statement_at.timestamp())
    for k, w in enumerate(r.windows[1:], 1):
        if not w.closed:
            break
        out = Outgoing(Outbound.REPAIR, inc, text=window_text(inc.id, w, r.before), key=(f"w{k}", stamp))
        queued += len(submit(session, config, out, now))
    if r.doubts and r.report_asked_at is None and r.report_at is None:
        if not fire_once(session, inc.id, f"repair-ask@{stamp}", now):
            return queued  # asked already (another worker)
        due = now + timedelta(hours=config.repair.report_deadline_hours)
        who = tuple(p for p in (inc.owner or inc.acknowledged_by,) if p) or tuple(on_call(config, now))
        session.add(IncidentEvent(incident_id=inc.id, at=now, kind="repair_ask", via="system",
                                  text=f"质疑未消，要求 {due.astimezone(SHANGHAI):%m-%d %H:%M} 前发布补充调查报告",
                                  detail={"due": due.isoformat(), "before_share": r.before.share,
                                          "after_share": r.first.share}))
        out = Outgoing(Outbound.REPAIR, inc, text=ask_text(inc.id, r, due), mentions=who, key=("ask", stamp))
        queued += len(submit(session, config, out, now))
    return queued


def tracked_ids(session: Session, cfg: RepairConfig, now: datetime) -> list[int]:
    """Incidents whose statement is recent enough that a window is still to close."""
    since = now - DAY * (2 + 7 * cfg.horizon_weeks)
    return list(session.scalars(select(Incident.id).where(Incident.statement_at.is_not(None),
                                                          Incident.statement_at >= since).order_by(Incident.id)))


# -- in the review ---------------------------------------------------------------------------------------
def _when(at: datetime | None) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if at else "—"


def repair_md(r: Repair) -> list[str]:
    """The review's closing section, as Markdown lines (untrusted titles and texts made inert)."""
    out = ["## 信任修复", "", f"- 声明：{_when(r.statement_at)}　跟踪 {r.horizon_weeks} 周　结论：**{r.verdict}**"]
    if r.doubts is not None:
        out.append(f"- 声明后 24 小时：{'质疑仍在' if r.doubts else '质疑明显减少'}"
                   f"（负面占比 {_pct(r.before.share)} → {_pct(r.first.share)}）")
    if r.report_asked_at:
        late = r.report_at is None or (r.report_due_at is not None and r.report_at > r.report_due_at)
        out.append(f"- 补充调查报告：{_when(r.report_asked_at)} 要求，时限 {_when(r.report_due_at)}，"
                   + (f"{_when(r.report_at)} 提交" if r.report_at else "未提交") + ("（超时）" if late and r.report_at else ""))
    out += ["", "| 时段 | 起止 | 条数 | 负面 | 负面占比 | 新增投诉 |", "|---|---|---|---|---|---|"]
    for w in r.windows:
        state = "" if w.closed else "（进行中）"
        out.append(f"| {w.label}{state} | {_when(w.start)} – {_when(w.end)} | {w.volume} | {w.negative} | "
                   f"{_pct(w.share)} | {'；'.join(safe_text(t, 40) for t in w.complaints) or '—'} |")
    out += ["", "修复行动：", ""]
    out += [f"- {_when(a.at)} {safe_text(a.author, 30)}：{safe_text(a.text, 500)}" for a in r.actions] or ["- （无）"]
    return out
