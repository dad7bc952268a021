"""The short replies posted in an incident card's thread (text messages), as pure functions.

Text messages render `<at user_id=…>`, so everything not config-sourced goes through `safe_text`.
"""
from bot.alerting.policy import NotifyReason
from bot.cards.text import safe_text, text_mentions

HEADLINES = {
    NotifyReason.NEW_ITEMS: "📈 新增 {added} 条相关内容，累计 {count} 条",
    NotifyReason.GRADE_UP: "⬆️ 等级上调：{before} → {after}",
    NotifyReason.RESURGENCE: "🔁 已解决的事件再次升温，累计 {count} 条",
    NotifyReason.REPEAT: "⏰ 事件仍待认领（已等待 {waited} 分钟），请尽快认领处置",
}


def thread_notice(reason: NotifyReason, *, count: int, added: int = 0, before: str | None = None,
                  after: str | None = None, reasons: tuple[str, ...] = (), waited: int = 0,
                  mentions: tuple[str, ...] = ()) -> dict:
    """The content of a thread reply for a notify reason: one headline, the grade's reasons, the mentions."""
    lines = [HEADLINES[reason].format(added=added, count=count, before=before or "未定级", after=after or "未定级",
                                      waited=waited)]
    if reason is NotifyReason.GRADE_UP:
        lines += [f"· {safe_text(r, 100)}" for r in reasons[:5]]
    at = text_mentions(mentions)
    if at:
        lines.append(at)
    return {"text": "\n".join(lines)}


def note_notice(author: str, text: str) -> dict:
    """A member's note, relayed to the threads of the incident's cards in the other chats."""
    return {"text": f"📝 {safe_text(author, 30)} 备注：{safe_text(text, 500)}"}
