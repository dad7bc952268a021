"""A multi-pattern matcher (Aho-Corasick) over normalised text: one scan finds every listed phrase.

Brands, rule terms, topic and risk lexicons each build one `PhraseMatcher` at start-up, so the cost of a text
does not grow with the number of phrases or rules.
"""
from dataclasses import dataclass
from typing import Iterable

import ahocorasick

from bot.analysis.textform import normalise_term as normalise


@dataclass(frozen=True)
class PhraseHit:
    phrase: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.phrase)


class PhraseMatcher:
    """Finds the given phrases (normalised) in normalised text."""

    def __init__(self, phrases: Iterable[str]):
        self._automaton = ahocorasick.Automaton()
        for p in {normalise(p) for p in phrases if p.strip()}:
            self._automaton.add_word(p, p)
        self._empty = len(self._automaton) == 0
        if not self._empty:
            self._automaton.make_automaton()

    def __len__(self) -> int:
        return len(self._automaton)

    def find_all(self, text: str) -> list[PhraseHit]:
        """Every occurrence, overlapping ones included, in order of their end."""
        if self._empty:
            return []
        return [PhraseHit(p, end - len(p) + 1) for end, p in self._automaton.iter(text)]

    def find_longest(self, text: str) -> list[PhraseHit]:
        """Leftmost-longest occurrences that do not overlap (「众车在线」 hides the 「众车」 inside it)."""
        if self._empty:
            return []
        return [PhraseHit(p, end - len(p) + 1) for end, p in self._automaton.iter_long(text)]
