"""Brand matching: names and aliases found in one scan, leftmost-longest, with exclusion contexts.

An occurrence is dropped when one of its brand's `exclude` phrases appears in the same clause (「安逸花园小区」
for 安逸花, 「招聘催收员」 …), and a Latin or digit alias must stand alone (「360」 not inside 「13600」).
"""
from bisect import bisect_left
from dataclasses import dataclass
from typing import Iterable

from bot.analysis.phrases import PhraseMatcher
from bot.analysis.segment import CLAUSE_BREAKS, normalise


@dataclass(frozen=True)
class BrandMention:
    brand: str
    matched: str
    start: int
    end: int


@dataclass(frozen=True)
class Brand:
    name: str
    aliases: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


def _ascii_word(s: str) -> bool:
    return s.isascii() and s.isalnum()


def _clause(breaks: list[int], length: int, start: int, end: int) -> tuple[int, int]:
    """The clause around [start, end), from the sorted positions of the text's clause breaks (a bisect, not a walk)."""
    i = bisect_left(breaks, start)
    j = bisect_left(breaks, end)
    return (breaks[i - 1] + 1 if i else 0), (breaks[j] if j < len(breaks) else length)


class BrandMatcher:
    """Finds the given brands in normalised text."""

    def __init__(self, brands: Iterable[Brand]):
        self._owner: dict[str, str] = {}
        self._exclude: dict[str, tuple[str, ...]] = {}
        for b in brands:
            for name in (b.name, *b.aliases):
                # the first brand to claim a name keeps it: an alias shared by two brands is ambiguous
                self._owner.setdefault(normalise(name).strip(), b.name)
            self._exclude[b.name] = tuple(normalise(e) for e in b.exclude)
        self._owner.pop("", None)
        self._names = PhraseMatcher(self._owner)

    @property
    def words(self) -> frozenset[str]:
        """Every name and alias, normalised (for the segmenter's dictionary)."""
        return frozenset(self._owner)

    def mentions(self, normalised: str) -> list[BrandMention]:
        """Every mention that survives the word-boundary and exclusion checks, in text order."""
        out = []
        breaks: list[int] | None = None
        excluded: dict[tuple[int, str], bool] = {}  # (clause start, brand): each clause is searched once per brand
        for hit in self._names.find_longest(normalised):
            if _ascii_word(hit.phrase) and not self._stands_alone(normalised, hit.start, hit.end):
                continue
            brand = self._owner[hit.phrase]
            excludes = self._exclude[brand]
            if excludes:
                if breaks is None:
                    breaks = [i for i, ch in enumerate(normalised) if ch in CLAUSE_BREAKS]
                lo, hi = _clause(breaks, len(normalised), hit.start, hit.end)
                if (lo, brand) not in excluded:
                    excluded[(lo, brand)] = any(e in normalised[lo:hi] for e in excludes)
                if excluded[(lo, brand)]:
                    continue
            out.append(BrandMention(brand, hit.phrase, hit.start, hit.end))
        return out

    @staticmethod
    def _stands_alone(text: str, start: int, end: int) -> bool:
        before = text[start - 1] if start > 0 else " "
        after = text[end] if end < len(text) else " "
        return not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum())
