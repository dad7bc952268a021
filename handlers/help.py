"""/help: the command list, straight from the registry."""
from handlers.context import Context, Reply, UsageError
from handlers.registry import CommandSpec, Registry


def format_help(registry: Registry) -> str:
    lines = ["我能做这些（@我 或以 / 开头；在事件卡片的话题里可以省略编号）："]
    for spec in registry.specs:
        lines.append(f"{spec.usage} — {spec.help}")
    return "\n".join(lines)


def register(registry: Registry) -> None:
    def parse(_ctx: Context, text: str) -> str:
        word = text.strip().removeprefix("/")
        if word and registry.lookup(word) is None:
            raise UsageError(f"没有指令「{word}」")
        return word

    def run(_ctx: Context, word: str) -> Reply:
        if word:
            spec = registry.lookup(word)
            if spec is not None:
                return Reply(text=f"{spec.usage} — {spec.help}")
        return Reply(text=format_help(registry))

    registry.register(CommandSpec("help", ("帮助",), "[指令]", None, "显示这份说明", parse, run))
    registry.register(CommandSpec("whoami", ("我是谁",), "", None, "显示你的 open_id 和本群的 chat_id（填写 config.yaml 用）",
                                  lambda _ctx, _text: None, whoami))


def whoami(ctx: Context, _args: None) -> Reply:
    """What an admin needs for config.yaml: the sender's open_id (team.members) and the chat's id (alerting.chats)."""
    who = f"{ctx.member.name}（{ctx.member.role.label}）" if ctx.member else "不在值班团队名单中"
    return Reply(text=f"你的 open_id：{ctx.actor.open_id or '未知'}\n本群 chat_id：{ctx.chat_id or '未知'}\n"
                      f"身份：{who}")
