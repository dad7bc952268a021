"""The three alert grades, ordered: 轻微 < 一般 < 重大."""
from enum import StrEnum


class Grade(StrEnum):
    MINOR = "轻微"
    MODERATE = "一般"
    MAJOR = "重大"

    @property
    def rank(self) -> int:
        return _RANK[self.value]

    @classmethod
    def parse(cls, text: str) -> "Grade":
        """Accept the Chinese name or the English one (minor / moderate / major)."""
        t = text.strip().lower()
        for g in cls:
            if t in (g.value, g.name.lower()):
                return g
        raise ValueError(f"unknown grade {text!r}: use 重大, 一般 or 轻微")

    def __lt__(self, other: object) -> bool:  # type: ignore[override]
        if not isinstance(other, Grade):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:  # type: ignore[override]
        if not isinstance(other, Grade):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:  # type: ignore[override]
        if not isinstance(other, Grade):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:  # type: ignore[override]
        if not isinstance(other, Grade):
            return NotImplemented
        return self.rank >= other.rank


# keyed by the plain names: an Enum member hashes by its Python name, so a stored str would not find it
_RANK: dict[str, int] = {Grade.MINOR.value: 1, Grade.MODERATE.value: 2, Grade.MAJOR.value: 3}


def rank(grade: str | None) -> int:
    """The rank of a stored grade (0 for none): 轻微 1, 一般 2, 重大 3; an unknown name raises ValueError."""
    if not grade:
        return 0
    # a dict lookup, not Grade(grade): status reads call this for thousands of grading events
    found = _RANK.get(grade)
    return found if found is not None else Grade(grade).rank


# the stored names, mildest first, and most severe first (as lists and cards show them)
NAMES: tuple[str, ...] = tuple(g.value for g in Grade)
SEVERE_FIRST: tuple[str, ...] = tuple(reversed(NAMES))
