"""The incident card (JSON 2.0): a pure render of an `IncidentView`.

Read on a phone in five seconds, top to bottom: what (header: grade, brand, one-line summary), status and
who is called, why this grade, the key facts, the top posts, what to do (the grade's playbook), the
buttons valid in the current state. Untrusted text (posts, titles, names) only goes through `safe_text`.
"""
from dataclasses import dataclass
from datetime import datetime

from bot.cards.actions import CardAction, encode_action
from bot.cards.text import at_mentions, safe_text, safe_url
from bot.clock import SHANGHAI
from bot.state import TABLE, Action, State
from bot.grades import NAMES

GRADES = NAMES
HEADER_COLOURS = {"重大": "red", "一般": "orange", "轻微": "blue", None: "grey"}
PLATFORMS = {"news": "新闻", "weibo": "微博", "forum": "论坛", "complaint": "投诉平台", "video": "短视频", "community": "社群",
             "other": "其他", "drill": "演练"}


def platform_label(platform: str) -> str:
    """The platform as every card, reply and review names it."""
    return PLATFORMS.get(platform, platform)
CLOSED_COLOURS = {State.RESOLVED: "green", State.FALSE_POSITIVE: "grey"}
# caps that keep the worst case well inside Feishu's 30 KB card limit (see tests/cards)
SUMMARY_LIMIT, TITLE_LIMIT, REASON_LIMIT, STEP_LIMIT, NAME_LIMIT = 60, 80, 100, 80, 30
MAX_REASONS, MAX_TOPICS, MAX_WORDS, MAX_STEPS, MAX_SOURCES, MAX_ITEMS, MAX_MENTIONS = 8, 6, 6, 6, 6, 5, 10
URL_LIMIT = 600  # a longer link is left off rather than cut (a cut URL is a wrong URL)

_ACTIONS = {  # card button → the state-table action it performs
    CardAction.ACK: Action.ACK, CardAction.ASSIGN: Action.ASSIGN, CardAction.RESOLVE: Action.RESOLVE,
    CardAction.FALSE_POSITIVE: Action.MARK_FP, CardAction.REGRADE: Action.REGRADE, CardAction.REOPEN: Action.REOPEN,
}


@dataclass(frozen=True)
class ItemLine:
    title: str
    source: str
    platform: str
    published_at: datetime | None
    url: str | None
    engagement: int


@dataclass(frozen=True)
class TopicLine:
    name: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class IncidentView:
    incident_id: int
    brand: str
    summary: str
    grade: str | None
    grade_source: str
    reasons: tuple[str, ...]
    state: State
    acknowledged_by: str | None
    owner: str | None
    resolved_by: str | None
    item_count: int
    velocity: float
    engagement: int
    sentiment: float | None
    platforms: tuple[str, ...]
    sources: tuple[str, ...]
    topics: tuple[TopicLine, ...]
    first_seen_at: datetime
    last_seen_at: datetime
    top_items: tuple[ItemLine, ...]
    playbook: tuple[str, ...]
    mentions: tuple[str, ...]
    is_drill: bool
    updated_at: datetime
    entity: str | None = None  # a watched entity's kind (「借款企业」…), None for the lender's own brand


def _when(at: datetime | None) -> str:
    return at.astimezone(SHANGHAI).strftime("%m-%d %H:%M") if at else "时间未知"


def _count(n: int) -> str:
    return f"{n / 10000:.1f}万" if n >= 10000 else str(n)


def _md(content: str) -> dict:
    return {"tag": "markdown", "content": content}


def _text(content: str) -> dict:
    return {"tag": "div", "text": {"tag": "plain_text", "content": content}}


def valid_actions(state: State) -> list[CardAction]:
    """The card actions the state table allows now (ack only while 待认领, reopen only once closed)."""
    return [a for a, act in _ACTIONS.items() if (state, act) in TABLE]


def status_line(v: IncidentView) -> str:
    """待认领 / 已认领 · who / 处理中 · owner / 已解决 · who / 误报, as markdown (names made inert)."""
    who = {State.ACKNOWLEDGED: v.acknowledged_by, State.IN_PROGRESS: v.owner, State.RESOLVED: v.resolved_by}
    name = who.get(v.state)
    label = f"**{v.state.label}**" + (f" · {safe_text(name, NAME_LIMIT)}" if name else "")
    if v.state is State.IN_PROGRESS and v.owner:
        label = f"**{v.state.label}** · 负责人 {safe_text(v.owner, NAME_LIMIT)}"
    mentions = at_mentions(v.mentions[:MAX_MENTIONS])
    return f"状态：{label}" + (f"　请 {mentions} 跟进" if mentions else "")


def _facts(v: IncidentView) -> str:
    lines = [f"**规模** {v.item_count} 条 · {v.velocity:g} 条/小时 · 互动 {_count(v.engagement)}"]
    if v.sentiment is not None:
        lines[0] += f" · 负面 {1 - v.sentiment:.0%}"
    where = [safe_text(platform_label(p), NAME_LIMIT) for p in v.platforms[:MAX_SOURCES]]
    srcs = [safe_text(s, NAME_LIMIT) for s in v.sources[:MAX_SOURCES]]
    more = f" 等 {len(v.sources)} 个" if len(v.sources) > MAX_SOURCES else ""
    lines.append(f"**平台** {'、'.join(where) or '—'}　**来源** {'、'.join(srcs) or '—'}{more}")
    if v.topics:
        topics = [f"{safe_text(t.name, NAME_LIMIT)}（{'、'.join(safe_text(w, 20) for w in t.words[:MAX_WORDS])}）"
                  if t.words else safe_text(t.name, NAME_LIMIT) for t in v.topics[:MAX_TOPICS]]
        lines.append(f"**风险** {'；'.join(topics)}")
    lines.append(f"**时间** 首发 {_when(v.first_seen_at)} · 最新 {_when(v.last_seen_at)}")
    return "\n".join(lines)


def _items(v: IncidentView) -> list[dict]:
    out: list[dict] = [_md(f"**热门内容**（共 {v.item_count} 条）")]
    for i, it in enumerate(v.top_items[:MAX_ITEMS], 1):
        out.append(_text(f"{i}. {safe_text(it.title, TITLE_LIMIT) or '（无标题）'}"))
        link = safe_url(it.url)
        link = link if link and len(link) <= URL_LIMIT else None
        meta = f"{safe_text(it.source, NAME_LIMIT)} · {safe_text(platform_label(it.platform), 12)} · {_when(it.published_at)}"
        out.append(_md(f"<font color='grey'>{meta}</font>" + (f" · [原文]({link})" if link else "")))
    return out


def _button(label: str, action: CardAction, incident_id: int, kind: str = "default") -> dict:
    return {"tag": "button", "text": {"tag": "plain_text", "content": label}, "type": kind,
            "behaviors": [{"type": "callback", "value": encode_action(action, incident_id)}]}


def _controls(v: IncidentView) -> list[dict]:
    allowed = valid_actions(v.state)
    controls = []
    if CardAction.ACK in allowed:
        controls.append(_button("认领", CardAction.ACK, v.incident_id, "primary"))
    if CardAction.RESOLVE in allowed:
        controls.append(_button("解决", CardAction.RESOLVE, v.incident_id))
    if CardAction.FALSE_POSITIVE in allowed:
        controls.append(_button("误报", CardAction.FALSE_POSITIVE, v.incident_id, "danger"))
    if CardAction.REOPEN in allowed:
        controls.append(_button("重开", CardAction.REOPEN, v.incident_id))
    if CardAction.ASSIGN in allowed:
        controls.append({"tag": "select_person", "placeholder": {"tag": "plain_text", "content": "指派"},
                         "behaviors": [{"type": "callback", "value": encode_action(CardAction.ASSIGN, v.incident_id)}]})
    if CardAction.REGRADE in allowed and v.state.is_open:
        options = [{"text": {"tag": "plain_text", "content": g}, "value": g} for g in GRADES if g != v.grade]
        controls.append({"tag": "select_static", "placeholder": {"tag": "plain_text", "content": "调整等级"},
                         "options": options,
                         "behaviors": [{"type": "callback", "value": encode_action(CardAction.REGRADE, v.incident_id)}]})
    columns = [{"tag": "column", "width": "auto", "elements": [c]} for c in controls]
    return [{"tag": "column_set", "flex_mode": "flow", "columns": columns}] if columns else []


def render_incident_card(v: IncidentView) -> dict:
    """Card JSON 2.0 for an incident, showing only the actions valid in its state."""
    grade = v.grade or "待定级"
    title = f"【{grade}】{safe_text(v.brand, NAME_LIMIT)} · 舆情告警"
    if v.entity:
        title = f"【{grade}】{safe_text(v.brand, NAME_LIMIT)}（{v.entity}）· 关注对象舆情"
    if v.is_drill:
        title = f"【演练】{title}"
    colour = CLOSED_COLOURS.get(v.state) or HEADER_COLOURS.get(v.grade, "grey")
    elements: list[dict] = []
    if v.is_drill:
        elements.append(_md("**<font color='violet'>演练 · 非真实事件，请按流程演练处置</font>**"))
    if v.entity:
        elements.append(_md(f"**关注对象** {safe_text(v.brand, NAME_LIMIT)} · {v.entity}"))
    elements.append(_md(status_line(v)))
    how = "人工定级" if v.grade_source == "manual" else "自动定级"
    elements.append(_md(f"**等级 {grade}**（{how}）· 依据："))
    reasons = [f"· {safe_text(r, REASON_LIMIT)}" for r in v.reasons[:MAX_REASONS]]
    if reasons:
        elements.append(_text("\n".join(reasons)))
    elements += [_md(_facts(v)), {"tag": "hr"}, *_items(v)]
    steps = [f"{i}. {safe_text(s, STEP_LIMIT)}" for i, s in enumerate(v.playbook[:MAX_STEPS], 1)]
    if steps:
        elements += [{"tag": "hr"}, _md(f"**处置建议（{grade}）**\n" + "\n".join(steps))]
    elements += [{"tag": "hr"}, *_controls(v),
                 _md(f"<font color='grey'>事件 #{v.incident_id} · 更新于 {_when(v.updated_at)}</font>")]
    return {
        "schema": "2.0",
        "config": {"update_multi": True},
        "header": {"title": {"tag": "plain_text", "content": title},
                   "subtitle": {"tag": "plain_text", "content": safe_text(v.summary, SUMMARY_LIMIT) or "（无标题）"},
                   "template": colour},
        "body": {"elements": elements},
    }
