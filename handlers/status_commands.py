"""/status (the digest's content plus who is waiting and who owns what), /incident, /report (the review card)
and /oncall — read-only, for anyone in the chat."""
from bot.cards.digest import render_digest_card
from bot.cards.review import render_review_card
from bot.clock import SHANGHAI
from bot.config import Config
from bot.incidents.actions import UnknownIncident
from bot.incidents.digest import load_status
from bot.incidents.queries import IncidentDetail, StatusSummary, incident_detail
from bot.incidents.review import load_review
from bot.state import State
from bot.oncall import Member, OnCall, current as current_on_call, next_shift
from handlers.args import only_incident
from handlers.context import Context, Reply, UsageError
from handlers.registry import CommandSpec, Registry

VIA = {"command": "指令", "button": "按钮", "console": "控制台", "system": "系统"}


def _ids(ids: list[int]) -> str:
    return " ".join(f"#{i}" for i in ids)


def status_lines(s: StatusSummary) -> list[str]:
    """What /status adds to the digest: open now, who is waiting for an 认领, who owns what."""
    grades = "，".join(f"{g or '未定级'} {n}" for g, n in s.open_by_grade.items()) or "无"
    lines = [f"未关闭 {s.open_total} 起（{grades}）",
             f"待认领 {len(s.unacknowledged)} 起" + (f"：{_ids(s.unacknowledged)}" if s.unacknowledged else "")]
    if s.owners:
        lines.append("负责人：" + "；".join(f"{name} {_ids(ids)}" for name, ids in s.owners.items()))
    lines.append(f"近 24 小时：新事件 {s.opened_24h} 起，新内容 {s.items_24h} 条，关闭 {s.closed_24h} 起")
    return lines


def status_card(config: Config, ctx: Context) -> dict:
    """The daily digest's card as of now, headed by the live lines (drills are left out of both)."""
    digest, summary = load_status(ctx.session, config, ctx.now)
    card = render_digest_card(digest)
    lines = status_lines(summary)
    card["header"]["title"]["content"] = f"舆情值班概况 {ctx.now.astimezone(SHANGHAI):%m-%d %H:%M}"
    card["body"]["elements"].insert(0, {"tag": "div", "text": {"tag": "plain_text", "content": "\n".join(lines)}})
    return card


def format_detail(d: IncidentDetail) -> str:
    inc = d.incident
    lines = [f"#{inc.id} {inc.title}",
             f"品牌 {inc.brand} · 级别 {inc.grade or '未定级'}{'（人工）' if inc.grade_source == 'manual' else ''}"
             f" · 状态 {State(inc.state).label} · 负责人 {d.owner_name or '无'} · 内容 {inc.item_count} 条"]
    if inc.reasons:
        lines.append("定级理由：" + "；".join(str(r) for r in inc.reasons[:5]))
    lines.append("时间线：")
    for e in d.timeline:
        who = e.actor_name or "系统"
        lines.append(f"  {e.at.astimezone(SHANGHAI):%m-%d %H:%M} {who}（{VIA.get(e.via, e.via)}）{e.text}")
    return "\n".join(lines)


def _shift(oc: OnCall) -> str:
    def name(m: Member | None) -> str:
        return m.name if m else "未配置"
    return f"{name(oc.primary)}（备班 {name(oc.backup)}）"


def format_on_call(now_: OnCall, nxt: OnCall | None) -> str:
    leads = "、".join(m.name for m in now_.leads) or "未配置"
    lines = [f"🧑‍💻 当前值班：{_shift(now_)}，负责人 {leads}"]
    if nxt is not None and now_.until is not None:
        lines.append(f"下一班（{now_.until.astimezone(SHANGHAI):%m-%d %H:%M} 起）：{_shift(nxt)}")
    else:
        lines.append("下一班：未排班（config.yaml 的 response.rota）")
    return "\n".join(lines)


def register(registry: Registry, config: Config) -> None:
    team = config.team

    def no_args(_ctx: Context, text: str) -> None:
        if text.strip():
            raise UsageError(f"多余的参数「{text.strip()}」")

    def detail(ctx: Context, incident_id: int) -> Reply:
        d = incident_detail(ctx.session, team, incident_id)
        if d is None:
            raise UnknownIncident(incident_id)
        return Reply(text=format_detail(d))

    def report(ctx: Context, incident_id: int) -> Reply:
        review = load_review(ctx.session, config, incident_id, ctx.now)
        if review is None:
            raise UnknownIncident(incident_id)
        return Reply(card=render_review_card(review))

    def on_call(ctx: Context, _: None) -> Reply:
        resp = config.response
        fallback = tuple(getattr(config.alerting, "leads", []))
        return Reply(text=format_on_call(current_on_call(config, ctx.now),
                                         next_shift(resp.rota, ctx.now, resp.tz, fallback)))

    registry.register(CommandSpec("status", ("状态",), "", None,
                                  "值班概况：日报内容（分级分状态、响应用时、超时、热点、声量图）+ 待认领与负责人",
                                  no_args, lambda ctx, _: Reply(card=status_card(config, ctx))))
    registry.register(CommandSpec("incident", ("详情",), "ID", None, "事件详情与时间线", only_incident, detail))
    registry.register(CommandSpec("report", ("复盘",), "ID", None, "事件复盘卡片：各环节用时与时限、声量、教训",
                                  only_incident, report))
    registry.register(CommandSpec("oncall", ("值班",), "", None, "现在谁值班、下一班是谁", no_args, on_call))
