"""The short texts posted in an incident card's thread, as pure functions.

They are plain text; the pipeline makes them inert and adds the mentions (from config) when it queues them.
"""
from bot.alerting.policy import NotifyReason
from bot.cards.text import safe_text

HEADLINES = {
    NotifyReason.NEW_ITEMS: "📈 新增 {added} 条相关内容，累计 {count} 条",
    NotifyReason.GRADE_UP: "⬆️ 等级上调：{before} → {after}",
    NotifyReason.RESURGENCE: "🔁 已解决的事件再次升温，累计 {count} 条",
    NotifyReason.REPEAT: "⏰ 事件仍待认领（已等待 {waited} 分钟），请尽快认领处置",
}


def thread_notice(reason: NotifyReason, *, count: int, added: int = 0, before: str | None = None,
                  after: str | None = None, reasons: tuple[str, ...] = (), waited: int = 0) -> str:
    """A thread reply for a notify reason: one headline and, for a grade rise, the grade's reasons."""
    lines = [HEADLINES[reason].format(added=added, count=count, before=before or "未定级", after=after or "未定级",
                                      waited=waited)]
    if reason is NotifyReason.GRADE_UP:
        lines += [f"· {safe_text(r, 100)}" for r in reasons[:5]]
    return "\n".join(lines)


def note_notice(author: str, text: str) -> str:
    """A member's note, relayed to the threads of the incident's cards in the other chats."""
    return f"📝 {safe_text(author, 30)} 备注：{safe_text(text, 500)}"
