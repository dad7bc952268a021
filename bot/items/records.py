"""Records (a JSON object, a CSV row) → RawEntry through a field mapping. Pure.

A mapping names, for each item field, where its value is in the record: a dotted path (`user.name`,
`data.items`, `pics.0.url`), alternatives tried in order (`note_url|aweme_url`), or a template filled
from the record (`https://weibo.com/{user_id}/{bid}`). Item fields the mapping leaves out are looked up
under their own name.
"""
import re
from collections.abc import Mapping

from bot.items.normalise import RawEntry

METRICS = ("views", "reposts", "comments", "likes")
_MISSING = object()
_PLACEHOLDER = re.compile(r"\{([\w.]+)\}")


def get_path(record, path: str, default=None):
    """The value at a dotted path (list indexes allowed); `default` when any step is missing. "" is the record."""
    if not path:
        return record
    node = record
    for step in path.split("."):
        if isinstance(node, Mapping) and step in node:
            node = node[step]
        elif isinstance(node, list) and step.lstrip("-").isdigit() and -len(node) <= int(step) < len(node):
            node = node[int(step)]
        else:
            return default
    return node


def _fill(record, template: str):
    values = {}
    for name in _PLACEHOLDER.findall(template):
        value = get_path(record, name)
        if value in (None, ""):
            return None
        values[name] = value
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template)


def lookup(record, spec: str):
    """The first present, non-empty value among the alternatives `a|b|{c}/{d}`; None when there is none."""
    for alternative in spec.split("|"):
        alternative = alternative.strip()
        if not alternative:
            continue
        value = _fill(record, alternative) if "{" in alternative else get_path(record, alternative, _MISSING)
        if value is not _MISSING and value not in (None, ""):
            return value
    return None


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value if v is not None) or None
    return str(value)


def entry_from_record(record: Mapping, fields: Mapping[str, str]) -> RawEntry:
    """The entry a record stands for under the mapping (fields not mapped are read under their own name)."""
    def field(name: str):
        return lookup(record, fields.get(name, name))

    published = field("published")
    return RawEntry(
        external_id=_text(field("id")),
        url=_text(field("url")),
        title=_text(field("title")),
        content=_text(field("content")),
        author=_text(field("author")),
        target=_text(field("target")),
        published=published if isinstance(published, (int, float)) else _text(published),
        metrics={name: field(name) for name in METRICS},
    )
