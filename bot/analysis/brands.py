"""Brand matching: names and aliases found in one scan, leftmost-longest, with the checks an admin can trust.

A candidate occurrence of a name is dropped, with the reason kept for `yuqing brands test`, when:
* it is a Latin or digit alias that does not stand alone (「360」 inside 「13600」);
* one of its brand's `exclude` phrases appears in the same clause (「招商引资」 for 招商, 「安逸花园小区」 for 安逸花,
  「招聘」); each clause is searched once per brand, its bounds found by bisect over the text's breaks;
* it lies inside a longer known organisation name that is not itself one of the brand's names (中国银行 inside
  中国银行保险监督管理委员会, 中信 inside 中信证券): the shipped list `data/organisations.txt` plus
  `analysis.organisations`.
Aliases may hold `*` for the masking complaint sites apply to names (「信*飞」 matches 「信*飞」, 「信**飞」,
「信xx飞」): each `*` stands for one to three masking characters.
"""
import re
from bisect import bisect_left
from dataclasses import dataclass
from typing import Iterable

from bot.analysis.phrases import PhraseMatcher
from bot.analysis.segment import CLAUSE_BREAKS, read_word_list
from bot.analysis.textform import normalise_term as normalise

WILDCARD = "*"
# what complaint sites and posters put in place of hidden characters (after normalisation: lower case, half-width)
_MASK_CHARS = "*x×✱●○〇_?"


@dataclass(frozen=True)
class BrandMention:
    brand: str
    matched: str
    start: int
    end: int


@dataclass(frozen=True)
class Candidate:
    """A place where a brand's name occurs, and whether it counts (`reason` says why not)."""

    brand: str
    matched: str
    start: int
    end: int
    reason: str = ""

    @property
    def accepted(self) -> bool:
        return not self.reason


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


def _wildcard_pattern(alias: str) -> str:
    mask = "[" + re.escape(_MASK_CHARS) + "]{1,3}"
    return mask.join(re.escape(part) for part in alias.split(WILDCARD))


def default_organisations() -> list[str]:
    """The shipped list of organisation names a brand name must not be found inside."""
    return read_word_list("organisations.txt")


class BrandMatcher:
    """Finds the given brands in normalised text."""

    def __init__(self, brands: Iterable[Brand], organisations: Iterable[str] = ()):
        self._owner: dict[str, str] = {}
        self._exclude: dict[str, tuple[str, ...]] = {}
        wildcards: list[tuple[str, str]] = []
        for b in brands:
            for name in (b.name, *b.aliases):
                key = normalise(name).strip()
                if WILDCARD in key.strip(WILDCARD):
                    wildcards.append((key, b.name))
                    continue
                # the first brand to claim a name keeps it: an alias shared by two brands is ambiguous
                self._owner.setdefault(key, b.name)
            self._exclude[b.name] = tuple(normalise(e) for e in b.exclude)
        self._owner.pop("", None)
        self._names = PhraseMatcher(self._owner)
        self._wildcards = [(re.compile(_wildcard_pattern(a)), a, brand) for a, brand in wildcards]
        # an organisation that is itself a monitored name is a brand, not a place to hide one
        orgs = {normalise(o) for o in organisations} - set(self._owner)
        self._orgs = PhraseMatcher(orgs)

    @property
    def words(self) -> frozenset[str]:
        """Every plain name and alias, normalised (for the segmenter's dictionary)."""
        return frozenset(self._owner)

    def explain(self, normalised: str) -> list[Candidate]:
        """Every candidate occurrence in text order, each accepted or with the reason it was dropped."""
        raw = [(h.start, h.end, h.phrase, self._owner[h.phrase]) for h in self._names.find_longest(normalised)]
        taken = [(s, e) for s, e, _, _ in raw]
        for pattern, alias, brand in self._wildcards:
            for m in pattern.finditer(normalised):
                if not any(s < m.end() and m.start() < e for s, e in taken):
                    raw.append((m.start(), m.end(), alias, brand))
        raw.sort()
        if not raw:
            return []
        orgs = [(h.start, h.end, h.phrase) for h in self._orgs.find_all(normalised)]
        breaks = [i for i, ch in enumerate(normalised) if ch in CLAUSE_BREAKS]
        excluded: dict[tuple[int, str], str] = {}  # (clause start, brand) → the exclude phrase found, or ""
        out = []
        for start, end, phrase, brand in raw:
            reason = ""
            if _ascii_word(phrase) and not self._stands_alone(normalised, start, end):
                reason = "字母或数字别名须独立出现"
            elif self._exclude[brand]:
                lo, hi = _clause(breaks, len(normalised), start, end)
                if (lo, brand) not in excluded:
                    excluded[(lo, brand)] = next((e for e in self._exclude[brand] if e in normalised[lo:hi]), "")
                if excluded[(lo, brand)]:
                    reason = f"同一分句有排除词「{excluded[(lo, brand)]}」"
            if not reason:
                org = next((o for s, e, o in orgs if s <= start and end <= e and (s, e) != (start, end)), "")
                reason = f"属于更长的机构名「{org}」" if org else ""
            out.append(Candidate(brand, phrase, start, end, reason))
        return out

    def mentions(self, normalised: str) -> list[BrandMention]:
        """Every mention that survives the checks, in text order."""
        return [BrandMention(c.brand, c.matched, c.start, c.end) for c in self.explain(normalised) if c.accepted]

    @staticmethod
    def _stands_alone(text: str, start: int, end: int) -> bool:
        before = text[start - 1] if start > 0 else " "
        after = text[end] if end < len(text) else " "
        return not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum())
