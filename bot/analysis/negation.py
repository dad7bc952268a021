"""Negation scope over jieba tokens: which words a 没有 / 不是 / 别 … turns around.

snownlp's own stop list deletes 没有, 不是 and 别 before scoring, so 「没有乱收费」 reads as 「乱收费」. Here a negator
covers the next few words of its clause; topics drop negated evidence and the sentiment model sees the
negated words under a distinct feature name.
"""
from bot.analysis.segment import CLAUSE_BREAKS, Tokens, read_word_list

NEGATORS = frozenset(read_word_list("negators.txt"))
# a negator reaches this many words ahead (「没有 被 暴力催收」, 「不 存在 任何 乱收费」)
SCOPE = 3


def negated_indices(tokens: Tokens) -> frozenset[int]:
    """Indices of tokens inside a negator's scope (the negators themselves are not included)."""
    out: set[int] = set()
    words = tokens.words
    n = len(words)
    for i, w in enumerate(words):
        if w not in NEGATORS:
            continue
        j, taken = i + 1, 0
        while j < n and taken < SCOPE:
            wj = words[j]
            if wj in CLAUSE_BREAKS or wj in NEGATORS:
                break
            if not wj.isspace():
                out.add(j)
                taken += 1
            j += 1
    return frozenset(out)


def is_negated(tokens: Tokens, negated: frozenset[int], offset: int) -> bool:
    """Whether the character at `offset` lies in a negated token."""
    return bool(negated) and tokens.index_at(offset) in negated
