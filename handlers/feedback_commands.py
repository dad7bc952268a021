"""/miss (漏报): the team teaches the analysis what it missed; /fp (误报) is with the incident commands."""
from bot.config.team import Role
from bot.labels import BadLabel, record_miss
from handlers.context import Context, Reply, UsageError
from handlers.registry import CommandSpec, Registry


def parse_miss(_ctx: Context, text: str) -> str:
    if not text.strip():
        raise UsageError("需要漏报内容的链接或原文")
    return text.strip()


def register(registry: Registry) -> None:
    def miss(ctx: Context, given: str) -> Reply:
        try:
            label = record_miss(ctx.session, given, ctx.actor.open_id or ctx.actor.name, ctx.now)
        except BadLabel as exc:
            raise UsageError(str(exc)) from None
        where = f"（已抓取的内容 #{label.item_id}）" if label.item_id else ""
        return Reply(text=f"📝 已记录漏报样本 #{label.id}{where}，管理员运行 yuqing train 后生效")

    registry.register(CommandSpec("miss", ("漏报",), "链接或原文", Role.RESPONDER,
                                  "标记漏报：这条内容应当算负面，供 yuqing train 学习", parse_miss, miss))
