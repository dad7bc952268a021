"""/status (the lead's summary) and /incident (one incident with its timeline), as chat text."""
from bot.clock import SHANGHAI
from bot.config.team import TeamConfig
from bot.incidents.actions import UnknownIncident
from bot.incidents.queries import IncidentDetail, StatusSummary, incident_detail, status_summary
from bot.incidents.state import State
from handlers.args import only_incident
from handlers.context import Context, Reply, UsageError
from handlers.registry import CommandSpec, Registry

VIA = {"command": "指令", "button": "按钮", "console": "控制台", "system": "系统"}


def format_status(s: StatusSummary) -> str:
    grades = "，".join(f"{g or '未定级'} {n}" for g, n in s.open_by_grade.items()) or "无"
    lines = [f"📋 舆情值班概况：未关闭 {s.open_total} 起（{grades}）",
             f"待认领 {len(s.unacknowledged)} 起" + (f"：{' '.join(f'#{i}' for i in s.unacknowledged)}"
                                                   if s.unacknowledged else "")]
    if s.overdue:
        lines.append(f"⚠️ 超时未认领 {len(s.overdue)} 起：" + "；".join(
            f"#{o.incident_id}（{o.grade or '未定级'}，已等 {o.waiting_minutes} 分钟）" for o in s.overdue))
    else:
        lines.append("超时未认领 0 起")
    if s.owners:
        lines.append("负责人：" + "；".join(f"{name} {' '.join(f'#{i}' for i in ids)}" for name, ids in s.owners.items()))
    lines.append(f"近 24 小时：新事件 {s.opened_24h} 起，新内容 {s.items_24h} 条，关闭 {s.closed_24h} 起")
    return "\n".join(lines)


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


def register(registry: Registry, team: TeamConfig) -> None:
    def no_args(_ctx: Context, text: str) -> None:
        if text.strip():
            raise UsageError(f"多余的参数「{text.strip()}」")

    def detail(ctx: Context, incident_id: int) -> Reply:
        d = incident_detail(ctx.session, team, incident_id)
        if d is None:
            raise UnknownIncident(incident_id)
        return Reply(text=format_detail(d))

    registry.register(CommandSpec("status", ("状态",), "", None, "值班概况：未关闭、待认领、超时、负责人、近 24 小时",
                                  no_args, lambda ctx, _: Reply(text=format_status(
                                      status_summary(ctx.session, team, ctx.now)))))
    registry.register(CommandSpec("incident", ("详情",), "ID", None, "事件详情与时间线", only_incident, detail))
