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
