"""Loading the evaluation data sets (never copied into the repo).

The data lives in ../shared/data relative to the repo root, or wherever --data / $YUQING_DATA points.
finnsp-bdci2019 rows become `Document`s whose `brands` are the listed entities (the offline "brands" path).
"""
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.analysis.pipeline import Document  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data"


def data_dir(option: str | None = None) -> Path:
    """--data, else $YUQING_DATA, else ../shared/data beside the repo."""
    path = Path(option or os.environ.get("YUQING_DATA") or DEFAULT_DATA)
    if not (path / "finnsp-bdci2019").is_dir():
        sys.exit(f"no finnsp-bdci2019 under {path}; pass --data DIR or set YUQING_DATA")
    return path


@dataclass(frozen=True)
class FinnspRow:
    doc: Document
    negative: bool
    entities: tuple[str, ...]
    key_entities: frozenset[str]


def _split(field: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(e.strip() for e in field.split(";") if e.strip()))


def finnsp(root: Path, split: str) -> list[FinnspRow]:
    """train or eval rows of finnsp-bdci2019 (the embedded CSV header row is skipped)."""
    rows = json.loads((root / "finnsp-bdci2019" / f"{split}_list.json").read_text(encoding="utf-8"))
    out = []
    for rid, title, text, entity, negative, key in rows:
        if negative not in ("0", "1"):
            continue
        entities = _split(entity)
        doc = Document(id=rid, title=title, text=text, brands=entities)
        out.append(FinnspRow(doc, negative == "1", entities, frozenset(_split(key))))
    return out


def finfe(root: Path, split: str) -> list[tuple[str, int]]:
    """(text, label) of finfe-bbt: 0 negative, 1 neutral, 2 positive."""
    return [(t, int(y)) for t, y in json.loads((root / "finfe-bbt" / f"{split}_list.json").read_text(encoding="utf-8"))]


@dataclass(frozen=True)
class Review:
    text: str
    negative: bool
    origin: str  # file (and category) it came from


REVIEW_FILES = ("online_shopping_10_cats.zip", "waimai_10k.csv", "ChnSentiCorp_htl_all.csv")
# which part of reviews-sophonplus a review belongs to, fixed by a hash of its text (so duplicates stay together):
# 2 tenths held out (read once, for the README), 1 tenth dev (choosing the weight), the rest train
REVIEW_PARTS = {0: "heldout", 1: "heldout", 2: "dev"}


def review_part(text: str) -> str:
    import hashlib

    return REVIEW_PARTS.get(hashlib.sha1(text.encode("utf-8")).digest()[0] % 10, "train")


def reviews(root: Path, part: str) -> list[Review]:
    """train, dev or heldout reviews of reviews-sophonplus (labels: 1 positive, 0 negative)."""
    import csv
    import io
    import zipfile

    out = []
    for name in REVIEW_FILES:
        path = root / "reviews-sophonplus" / name
        if name.endswith(".zip"):
            with zipfile.ZipFile(path) as z:
                raw = z.read(z.namelist()[0]).decode("utf-8-sig")
        else:
            raw = path.read_text(encoding="utf-8-sig")
        for rec in csv.DictReader(io.StringIO(raw)):
            text = (rec.get("review") or "").strip().lstrip("\ufeff")
            if not text or rec.get("label") not in ("0", "1") or review_part(text) != part:
                continue
            origin = f"{name}:{rec['cat']}" if rec.get("cat") else name
            out.append(Review(text, rec["label"] == "0", origin))
    return out
