"""/drill 重大|一般|轻微, /drill 违约 [借款企业], /drill VIP [客户]: a lead starts a drill; its card takes the normal
path (routing by kind and tier, deadlines, escalation)."""
from bot.config import Config
from bot.config.team import Role
from bot.grades import Grade
from bot.incidents.drills import DrillUnavailable, start_drill, start_scenario_drill
from handlers.args import grade_word, split_first
from handlers.context import Context, Reply, UsageError
from handlers.registry import CommandSpec, Registry

SCENARIO_WORDS = {"违约": "违约", "default": "违约", "vip": "VIP"}


def register(registry: Registry, config: Config) -> None:
    def parse(_ctx: Context, text: str) -> tuple[str, str | None]:
        word, rest = split_first(text)
        scenario = SCENARIO_WORDS.get(word.lower())
        if scenario is not None:
            return scenario, rest or None
        if rest:
            raise UsageError(f"多余的参数「{rest}」")
        return grade_word(word).value, None

    def drill(ctx: Context, args: tuple[str, str | None]) -> Reply:
        what, name = args
        if what in (g.value for g in Grade):
            inc = start_drill(ctx.session, config, what, ctx.actor.open_id, ctx.now)
        else:
            try:
                inc = start_scenario_drill(ctx.session, config, what, ctx.actor.open_id, ctx.now, name)
            except DrillUnavailable as exc:
                raise UsageError(str(exc)) from None
        return Reply(text=f"🎯 演练 #{inc.id}（{inc.grade}）已开始：卡片按正常路由发出，时限与升级照常计时，"
                          f"不计入统计。结束后 /report {inc.id} 查看复盘。")

    registry.register(CommandSpec("drill", ("演练",), "重大|一般|轻微|违约 [企业]|VIP [客户]", Role.LEAD,
                                  "发起演练：模拟事件（含借款企业违约、VIP 客户投诉）走真实流程，不计入统计（负责人）",
                                  parse, drill))
