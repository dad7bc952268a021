"""Untrusted text stays text: neutralise what Feishu would interpret, cut what is too long.

Posts from the internet go into cards. `<at id=all></at>` or `<at user_id="...">` in a post must not ping
anyone, markdown links/images must not render, control characters must not break the card's JSON or
layout. Untrusted text is shown in `plain_text` elements and, in addition, passed through `safe_text`,
which swaps the characters that start Feishu markup for look-alikes, so even a markdown element would
show it verbatim.
"""
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from bot.config.base import OPEN_ID

# ASCII characters that start Feishu markdown / rich-text markup, and their full-width look-alikes
_MARKUP = str.maketrans({
    "<": "＜", ">": "＞", "[": "［", "]": "］", "(": "（", ")": "）", "*": "＊", "_": "＿",
    "~": "～", "`": "｀", "#": "＃", "!": "！", "|": "｜", "\\": "＼", "$": "＄", "{": "｛", "}": "｝",
})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_SPACES = re.compile(r"[ \t\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class Cut:
    text: str
    truncated: bool


def clean(text: str | None) -> str:
    """Drop control and invisible direction characters, fold runs of spaces, keep line breaks."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def truncate(text: str, limit: int) -> Cut:
    """Cut to at most `limit` characters (code points), marking the cut with an ellipsis."""
    if len(text) <= limit:
        return Cut(text, False)
    return Cut(text[: max(limit - 1, 0)].rstrip() + "…", True)


def safe_text(text: str | None, limit: int) -> str:
    """Untrusted text made inert and cut to `limit` characters."""
    return truncate(clean(text).translate(_MARKUP), limit).text


def safe_url(url: str | None) -> str | None:
    """An http(s) URL with the characters that could end a markdown link escaped, or None."""
    if not url:
        return None
    url = clean(url).replace("\n", "")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2000:
        return None
    return quote(url, safe=":/?&=%#+,;@!$'*-._~")


_OPEN_ID = re.compile(OPEN_ID)


def at_mentions(open_ids: list[str] | tuple[str, ...]) -> str:
    """Card markdown @-mentions for config-sourced open_ids; anything not shaped ou_… is dropped, never @all."""
    return " ".join(f"<at id={oid}></at>" for oid in dict.fromkeys(open_ids) if _OPEN_ID.fullmatch(oid))


def text_mentions(open_ids: list[str] | tuple[str, ...]) -> str:
    """The same @-mentions for a text message (its syntax differs from the card's)."""
    return " ".join(f'<at user_id="{oid}"></at>' for oid in dict.fromkeys(open_ids) if _OPEN_ID.fullmatch(oid))


# -- the one inert-text rule for everything the bot sends ------------------------------------------------
# a mention tag in any syntax Feishu reads (card markdown, text messages), and its entity-encoded forms
_AT_TAG = re.compile(r"<\s*at\b([^>]*)>", re.IGNORECASE)
_AT_ID = re.compile(r"""(?:user_id|open_id|id|email)\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
_ENTITY_ANGLE = re.compile(r"&(?:lt|gt|#0*6[02]|#x0*3[ce]);", re.IGNORECASE)
_LESS_THAN = frozenset({"&lt;", "&#60;", "&#060;", "&#x3c;", "&#x03c;"})


def inert_text(text: str | None) -> str:
    """The body of a text message made inert: no tag of any kind (Feishu text renders `<at>`), no entity
    that could turn into one, no control characters. Mentions are added after this, from config only."""
    if not text:
        return ""
    text = _CONTROL.sub("", unicodedata.normalize("NFC", text))
    text = _ENTITY_ANGLE.sub(lambda m: "＜" if m.group(0).lower() in _LESS_THAN else "＞", text)
    return text.replace("<", "＜").replace(">", "＞")


def scrub(node: object, allowed: frozenset[str]) -> object:
    """Any payload (card JSON or text content) with every mention tag that names someone outside `allowed`
    made inert, and entity-encoded tags too: a last gate, whatever a renderer let through."""
    if isinstance(node, dict):
        return {k: scrub(v, allowed) for k, v in node.items()}
    if isinstance(node, list):
        return [scrub(v, allowed) for v in node]
    if isinstance(node, str) and ("<" in node or "&" in node):
        def tag(m: re.Match) -> str:
            ids = _AT_ID.findall(m.group(1))
            ok = len(ids) == 1 and ids[0] in allowed and _OPEN_ID.fullmatch(ids[0])
            return m.group(0) if ok else "＜" + m.group(0)[1:]
        node = _AT_TAG.sub(tag, node)
        return _ENTITY_ANGLE.sub(lambda m: "＆" + m.group(0)[1:], node)
    return node
