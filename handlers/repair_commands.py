"""/repair [ID] 行动: a trust-repair action (用户关怀计划 …, or the 补充调查报告) on the incident's timeline; the
review's trust-repair section lists them."""
from bot.config.team import Role
from bot.incidents.actions import UnknownIncident
from bot.incidents.repair import REPORT_WORDS, record_action
from handlers.args import incident_target, readable
from handlers.context import Context, Reply, UsageError
from handlers.registry import CommandSpec, Registry


def register(registry: Registry) -> None:
    def parse(ctx: Context, text: str) -> tuple[int, str]:
        target = incident_target(ctx, text)
        if not target.rest:
            raise UsageError("缺少修复行动内容")
        return target.incident_id, readable(ctx, target.rest)

    def run(ctx: Context, args: tuple[int, str]) -> Reply:
        incident_id, text = args
        if not record_action(ctx.session, incident_id, ctx.actor, text, ctx.now):
            raise UnknownIncident(incident_id)
        what = "补充调查报告" if text.startswith(REPORT_WORDS) else "修复行动"
        return Reply(text=f"#{incident_id} 已记录{what}")

    registry.register(CommandSpec("repair", ("修复",), "ID 行动", Role.RESPONDER,
                                  "记录信任修复行动（如 用户关怀计划、补充调查报告 链接），进入时间线与复盘",
                                  parse, run))
