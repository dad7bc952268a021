"""64-bit SimHash over the content words of normalised text, its 4 × 16-bit bands, and an in-memory banded index.

Two texts within Hamming distance 3 share at least one of the four bands (pigeonhole), so a lookup only
compares against items that share a band: its cost does not grow with the number of items stored. The DB keeps
the four bands as indexed integer columns and asks for rows equal on any of them.
"""
import hashlib
from collections import defaultdict
from functools import lru_cache
from typing import Iterable

BITS = 64
BANDS = 4
BAND_BITS = BITS // BANDS
_MASK64 = (1 << BITS) - 1
# each of the 64 counters gets a 20-bit lane in one big integer, so a word is added with 8 table lookups
_LANE = 20


def _spread_table(byte_no: int) -> list[int]:
    table = []
    for value in range(256):
        acc = 0
        for bit in range(8):
            if value >> bit & 1:
                acc |= 1 << ((byte_no * 8 + bit) * _LANE)
        table.append(acc)
    return table


_TABLES = [_spread_table(i) for i in range(8)]


def _word_hash(word: str) -> int:
    # a stable hash (Python's hash() changes per process and the value is stored)
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


@lru_cache(maxsize=262_144)
def _word_lanes(word: str) -> int:
    h = _word_hash(word)
    return sum(_TABLES[i][h >> (8 * i) & 255] for i in range(8))


def simhash(words: Iterable[str]) -> int:
    """The 64-bit SimHash of a bag of words (each distinct word counted once)."""
    acc, n = 0, 0
    for w in set(words):
        acc += _word_lanes(w)
        n += 1
    if n == 0:
        return 0
    out, lane_mask = 0, (1 << _LANE) - 1
    for bit in range(BITS):
        ones = acc >> (bit * _LANE) & lane_mask
        if 2 * ones > n:
            out |= 1 << bit
    return out


# words a repost adds around the copied text; they say nothing about what the text is
REPOST_WORDS = frozenset({"转发", "转载", "转自", "转", "回复", "repost", "rt", "微博", "分享"})


def simhash_features(words: Iterable[str]) -> set[str]:
    """The SimHash features of a text: its distinct content words without repost markers."""
    return set(words) - REPOST_WORDS


def bands(value: int) -> tuple[int, ...]:
    """The four 16-bit bands of a SimHash, lowest first."""
    mask = (1 << BAND_BITS) - 1
    return tuple(value >> (i * BAND_BITS) & mask for i in range(BANDS))


def distance(a: int, b: int) -> int:
    """Hamming distance of two 64-bit values."""
    return ((a ^ b) & _MASK64).bit_count()


def to_signed(value: int) -> int:
    """The same 64 bits as a signed integer, for databases without unsigned 64-bit columns."""
    return value - (1 << BITS) if value >= 1 << (BITS - 1) else value


class BandedIndex:
    """Item keys by SimHash band; `near(h)` returns the keys within `max_distance` of h."""

    def __init__(self, max_distance: int = 3):
        if not 0 <= max_distance < BANDS:
            raise ValueError(f"max_distance must be below {BANDS} for the band index to be exact")
        self.max_distance = max_distance
        self._bands: list[dict[int, list[tuple[int, object]]]] = [defaultdict(list) for _ in range(BANDS)]

    def add(self, key: object, value: int) -> None:
        for i, b in enumerate(bands(value)):
            self._bands[i][b].append((value, key))

    def near(self, value: int) -> list[tuple[object, int]]:
        """(key, distance) of stored items within max_distance, closest first."""
        seen: dict[object, int] = {}
        for i, b in enumerate(bands(value)):
            for other, key in self._bands[i].get(b, ()):
                if key not in seen:
                    d = distance(value, other)
                    if d <= self.max_distance:
                        seen[key] = d
        return sorted(seen.items(), key=lambda kv: kv[1])
