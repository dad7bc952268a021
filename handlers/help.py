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
