"""The card for one matching item (the thin path: one card per new item that names a brand)."""
from dataclasses import dataclass
from datetime import datetime

from bot.cards.text import safe_text, safe_url
from bot.clock import SHANGHAI

TITLE_LIMIT = 120
EXCERPT_LIMIT = 400


@dataclass(frozen=True)
class ItemView:
    brand: str
    title: str
    excerpt: str
    url: str | None
    source: str
    platform: str
    published_at: datetime | None
    incident_id: int | None = None


def render_item_card(view: ItemView) -> dict:
    """Card JSON 2.0 for one item: brand, title, where and when, an excerpt and the link."""
    when = view.published_at.astimezone(SHANGHAI).strftime("%m-%d %H:%M") if view.published_at else "时间未知"
    elements: list[dict] = [
        {"tag": "div", "text": {"tag": "plain_text", "content": safe_text(view.title, TITLE_LIMIT) or "（无标题）"}},
        {"tag": "div", "text": {"tag": "plain_text", "content": f"来源：{safe_text(view.source, 60)} · "
                                                                 f"{safe_text(view.platform, 20)} · {when}"}},
    ]
    excerpt = safe_text(view.excerpt, EXCERPT_LIMIT)
    if excerpt:
        elements.append({"tag": "div", "text": {"tag": "plain_text", "content": excerpt}})
    link = safe_url(view.url)
    if link:
        elements.append({"tag": "markdown", "content": f"[查看原文]({link})"})
    return {
        "schema": "2.0",
        "config": {"update_multi": True},
        "header": {
            "title": {"tag": "plain_text", "content": f"舆情提醒 · {safe_text(view.brand, 40)}"},
            "template": "blue",
        },
        "body": {"elements": elements},
    }
