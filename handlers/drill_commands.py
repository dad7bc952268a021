"""/drill 重大|一般|轻微: a lead starts a drill; its card takes the normal path (routing, deadlines, escalation)."""
from bot.config import Config
from bot.config.team import Role
from bot.grades import Grade
from bot.incidents.drills import start_drill
from handlers.args import grade_word
from handlers.context import Context, Reply
from handlers.registry import CommandSpec, Registry


def register(registry: Registry, config: Config) -> None:
    def drill(ctx: Context, grade: Grade) -> Reply:
        inc = start_drill(ctx.session, config, grade.value, ctx.actor.open_id, ctx.now)
        return Reply(text=f"🎯 演练 #{inc.id}（{grade.value}）已开始：卡片按正常路由发出，时限与升级照常计时，"
                          f"不计入统计。结束后 /report {inc.id} 查看复盘。")

    registry.register(CommandSpec("drill", ("演练",), "重大|一般|轻微", Role.LEAD,
                                  "发起演练：模拟事件走真实流程，不计入统计（负责人）",
                                  lambda _ctx, text: grade_word(text), drill))
