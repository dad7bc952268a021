"""Text normalisation and word segmentation: one jieba tokenizer with the finance dictionary and brand names.

Every matcher in the analysis works on the same normalised text (`textform.normalise`: NFKC, lower case,
simplified characters, no injected separators), so character offsets from the Aho-Corasick matchers and from the
token list line up. A `Segmenter` is expensive to build
(jieba loads its dictionary); `get_segmenter` keeps one per set of extra words for the life of the process.
"""
import logging
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Iterable

from bot.analysis.textform import normalise, normalise_term  # noqa: F401 (normalise: for callers of this module)

DATA_DIR = resources.files("bot.analysis") / "data"
# a user word must win over jieba's own splits of it, but not so heavily that it swallows its neighbours
_USER_WORD_FREQ = 2000
# clause boundaries: negation and brand context never reach across these
CLAUSE_BREAKS = frozenset("，。！？；：,.!?;:\n\r、…")


def read_word_list(name: str) -> list[str]:
    """A shipped word list from bot/analysis/data: one entry a line, `#` comments and blank lines skipped."""
    text = (DATA_DIR / name).read_text(encoding="utf-8")
    return [line.split()[0] for line in text.splitlines() if line.strip() and not line.startswith("#")]


@dataclass(frozen=True)
class Tokens:
    """The words of a normalised text and where each starts, so character hits map onto tokens."""

    words: tuple[str, ...]
    starts: tuple[int, ...]

    def index_at(self, offset: int) -> int:
        """Index of the token that covers character `offset`."""
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo


class Segmenter:
    """A private jieba tokenizer (the global one stays untouched) that knows the finance words and the brands."""

    def __init__(self, extra_words: Iterable[str] = ()):
        import jieba  # here, not at the top: a run that analyses nothing (an empty scan) starts without it

        jieba.setLogLevel(logging.WARNING)
        self._tk = jieba.Tokenizer()
        self._tk.initialize()
        for word in read_word_list("finance_dict.txt"):
            self._tk.add_word(normalise_term(word), _USER_WORD_FREQ)
        for word in extra_words:
            word = normalise_term(word).strip()
            # jieba cannot hold words with spaces; such names still match through the brand matcher
            if word and " " not in word:
                self._tk.add_word(word, _USER_WORD_FREQ)

    def cut(self, normalised: str) -> Tokens:
        """Segment already-normalised text into words with their start offsets."""
        words = self._tk.lcut(normalised)
        starts, pos = [], 0
        for w in words:
            starts.append(pos)
            pos += len(w)
        return Tokens(tuple(words), tuple(starts))


@lru_cache(maxsize=8)
def get_segmenter(extra_words: frozenset[str] = frozenset()) -> Segmenter:
    """The shared segmenter for this word set, built on first use."""
    return Segmenter(sorted(extra_words))
