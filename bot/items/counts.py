"""Engagement counts as platforms print them: 12, "1,234", "1.2万", "3亿", "10w+"."""
import re

_NUM = re.compile(r"^\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*(万|w|W|亿|k|K|千)?\+?\s*$")
_UNITS = {"万": 10_000, "w": 10_000, "W": 10_000, "亿": 100_000_000, "k": 1_000, "K": 1_000, "千": 1_000}


def parse_count(value) -> int:
    """A non-negative count; anything unreadable counts as 0."""
    if value is None or isinstance(value, bool):
        return 0
    if isinstance(value, (int, float)):
        return max(int(value), 0)
    m = _NUM.match(str(value))
    if not m:
        return 0
    number = float(m.group(1).replace(",", ""))
    return int(round(number * _UNITS.get(m.group(2) or "", 1)))
