"""Argument parsing shared by the commands: incident ids (optional inside a card's thread), mentions, words."""
import re
from dataclasses import dataclass

from bot.grades import Grade
from handlers.context import Context, UsageError

_ID = re.compile(r"^[#＃]?(\d{1,9})$")
_PLACEHOLDER = re.compile(r"@_user_\d+")


@dataclass(frozen=True)
class Target:
    incident_id: int
    rest: str


def split_first(text: str) -> tuple[str, str]:
    parts = text.strip().split(maxsplit=1)
    return (parts[0], parts[1].strip() if len(parts) > 1 else "") if parts else ("", "")


def incident_target(ctx: Context, text: str) -> Target:
    """`ID rest…`, or just `rest…` inside an incident card's thread."""
    first, rest = split_first(text)
    m = _ID.match(first)
    if m:
        return Target(int(m.group(1)), rest)
    if ctx.thread_incident_id is not None:
        return Target(ctx.thread_incident_id, text.strip())
    if first:
        raise UsageError(f"「{first}」不是事件编号")
    raise UsageError("缺少事件编号")


def only_incident(ctx: Context, text: str) -> int:
    target = incident_target(ctx, text)
    if target.rest:
        raise UsageError(f"多余的参数「{target.rest}」")
    return target.incident_id


def readable(ctx: Context, text: str) -> str:
    """Free text with @_user_N placeholders turned back into @名字."""
    names = {m.key: m.name for m in ctx.mentions}
    return _PLACEHOLDER.sub(lambda m: f"@{names.get(m.group(0), m.group(0))}", text).strip()


def mentioned_open_id(ctx: Context, word: str) -> str:
    """The open_id behind an @mention placeholder, or an open_id / member name typed as text (console)."""
    for m in ctx.mentions:
        if m.key == word and m.open_id:
            return m.open_id
    name = word.removeprefix("@")
    return name  # IncidentActions resolves open_ids; the command layer resolves names first


def grade_word(text: str) -> Grade:
    """重大 / 一般 / 轻微 (or major / moderate / minor)."""
    if not text.strip():
        raise UsageError("缺少级别")
    try:
        return Grade.parse(text)
    except ValueError:
        raise UsageError(f"级别「{text.strip()}」不对，用 重大、一般 或 轻微") from None
