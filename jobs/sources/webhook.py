"""Pushed payloads → records: one item, a JSON array, `{"items": [...]}`, or weibo-crawler's post mode.

weibo-crawler (`write_mode: ["post"]`) sends `{"user": {...}, "weibo": [...]}` with an `api-token` header;
its posts are mapped with WEIBO_CRAWLER_FIELDS, whatever the source's own mapping says.
"""
import json

WEIBO_CRAWLER_FIELDS = {
    "id": "id", "title": "", "content": "text", "url": "https://weibo.com/{user_id}/{bid}|https://m.weibo.cn/detail/{id}",
    "author": "screen_name|user.screen_name", "published": "full_created_at|created_at",
    "views": "", "reposts": "reposts_count", "comments": "comments_count", "likes": "attitudes_count",
}


class BadPayload(ValueError):
    """The body is not something the webhook takes; the message says why."""


def parse_payload(body: bytes, fields: dict[str, str]) -> tuple[list, dict[str, str]]:
    """The pushed records (possibly not all objects) and the mapping that reads them."""
    if not body.strip():
        raise BadPayload("empty body")
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadPayload(f"malformed JSON: {exc}") from None
    if isinstance(doc, list):
        return doc, fields
    if not isinstance(doc, dict):
        raise BadPayload("expected an item, a JSON array of items, or {\"items\": [...]}")
    if isinstance(doc.get("weibo"), list):
        user = doc.get("user") if isinstance(doc.get("user"), dict) else {}
        return [{**w, "user": user} if isinstance(w, dict) else w for w in doc["weibo"]], WEIBO_CRAWLER_FIELDS
    if "items" in doc:
        if not isinstance(doc["items"], list):
            raise BadPayload("\"items\" must be a JSON array")
        return doc["items"], fields
    return [doc], fields
