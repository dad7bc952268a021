"""Named lexicons matched with negation: risk topics (with the words that put an item there), risk words and
regulator names all use one `Lexicon`.

The nine default topics ship in data/topics.yaml; `analysis.topics` replaces one by name, adds new ones, and an
empty list switches one off.
"""
from collections import defaultdict
from dataclasses import dataclass
from typing import Mapping

import yaml

from bot.analysis.negation import is_negated
from bot.analysis.phrases import PhraseMatcher
from bot.analysis.segment import DATA_DIR, Tokens
from bot.analysis.textform import normalise_term as normalise


def default_topics() -> dict[str, list[str]]:
    """The shipped topic lexicons, by topic name."""
    return yaml.safe_load((DATA_DIR / "topics.yaml").read_text(encoding="utf-8"))


def merged_topics(overrides: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Shipped topics with the configured ones laid over them; empty lists drop a topic."""
    topics = default_topics()
    topics.update(overrides)
    return {name: words for name, words in topics.items() if words}


@dataclass(frozen=True)
class LexiconHits:
    """Words found per group, in first-seen order; `negated` holds the hits a negator turned around."""

    words: Mapping[str, tuple[str, ...]]
    negated: tuple[str, ...]
    starts: tuple[int, ...]

    def count(self) -> int:
        return sum(len(w) for w in self.words.values())


class Lexicon:
    """Groups of words (group → words); one scan finds them all, negated hits are kept apart."""

    def __init__(self, groups: Mapping[str, list[str]]):
        self._groups: dict[str, list[str]] = defaultdict(list)
        for group, words in groups.items():
            for w in words:
                self._groups[normalise(w)].append(group)
        self._matcher = PhraseMatcher(self._groups)

    def match(self, normalised: str, tokens: Tokens | None = None, negated: frozenset[int] = frozenset()) -> LexiconHits:
        """Non-negated hits by group (distinct words, with their offsets) and negated hits apart."""
        found: dict[str, dict[str, None]] = {}
        neg: dict[str, None] = {}
        starts: list[int] = []
        for hit in self._matcher.find_longest(normalised):
            if tokens is not None and is_negated(tokens, negated, hit.start):
                neg[hit.phrase] = None
                continue
            starts.append(hit.start)
            for group in self._groups[hit.phrase]:
                found.setdefault(group, {})[hit.phrase] = None
        return LexiconHits({g: tuple(w) for g, w in found.items()}, tuple(neg), tuple(starts))
