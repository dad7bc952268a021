"""Loading the evaluation data sets (never copied into the repo).

The data lives in ../shared/data relative to the repo root, or wherever --data / $YUQING_DATA points.
finnsp-bdci2019 rows become `Document`s whose `brands` are the listed entities (the offline "brands" path).
"""
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

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


# The finance dev set: headlines about banks, lenders, cards and payment apps from two daily archives of Chinese hot
# lists, 2020-11-24 to 2025-12-31 (one numbered Markdown list a day, archives/YYYY-MM-DD.md). The headlines are not
# copied into the repo: benchmarks/complaint_dev/labels.csv (dev part) and train_labels.csv (train part) hold each
# one's source, archive file, key (the first 16 hex of sha1(headline)) and hand label; the text is read from a
# snapshot of the archive's git directory at the commit below (--hot-lists DIR holding the snapshots, or
# $YUQING_HOT_LISTS; default the fetched mirrors).
@dataclass(frozen=True)
class HotList:
    repo: str  # github owner/name
    commit: str


HOT_LISTS = {
    "weibo-hot-search": HotList("justjavac/weibo-trending-hot-search", "bbe42d5a0ef00d9dcf38ed04fcf0b8826d68e329"),
    "zhihu-hot-questions": HotList("justjavac/zhihu-trending-hot-questions", "6fe80c7c3d3494e3e83f92b8dd8155a171a234b5"),
}
DEFAULT_HOT_LISTS = Path("/work/.mirror")
COMPLAINT_LABELS = REPO / "benchmarks" / "complaint_dev" / "labels.csv"
COMPLAINT_TRAIN_LABELS = REPO / "benchmarks" / "complaint_dev" / "train_labels.csv"
# a headline is a candidate when it names one of these (first day it trended kept); fixed before any labelling
FINANCE_WORDS = ("银行", "信用卡", "花呗", "借呗", "网贷", "贷款", "催收", "消费金融", "消金", "银保监", "金融监管总局",
                 "征信", "微粒贷", "京东金融", "白条", "度小满", "360借条", "招联", "捷信", "马上消费", "分期乐",
                 "平安普惠", "拍拍贷", "月付", "储户", "存款", "P2P", "爆雷", "套路贷", "校园贷", "房贷", "车贷",
                 "理财产品", "支付宝", "微信支付", "分期")
LAST_DAY = "2025-12-31"


@dataclass(frozen=True)
class Headline:
    source: str  # a key of HOT_LISTS
    text: str
    day: str  # first day it trended
    url: str  # the link the archive gives (a Weibo search, a Zhihu question)


def hot_lists_dir(option: str | None = None) -> Path:
    """--hot-lists, else $YUQING_HOT_LISTS, else /work/.mirror: the folder holding owner+name/repo git directories."""
    path = Path(option or os.environ.get("YUQING_HOT_LISTS") or DEFAULT_HOT_LISTS)
    for h in HOT_LISTS.values():
        if not (path / h.repo.replace("/", "+") / "repo").is_dir():
            sys.exit(f"no snapshot of {h.repo} under {path}; fetch it (github:{h.repo}) or pass --hot-lists DIR")
    return path


def finance_headlines(root: Path, source: str, hot_lists: Mapping[str, HotList] = HOT_LISTS) -> list[Headline]:
    """Every candidate headline of one archive at its pinned commit, in order of the day it first trended."""
    import io
    import re
    import subprocess
    import tarfile

    hot = hot_lists[source]
    git_dir = root / hot.repo.replace("/", "+") / "repo"
    line = re.compile(r"^\d+\. \[(.+?)\]\((.+?)\)", re.M)
    archive = subprocess.run(["git", f"--git-dir={git_dir}", "archive", hot.commit, "archives"],
                             check=True, capture_output=True).stdout
    days = {}
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            file = tar.extractfile(member) if member.name.endswith(".md") else None
            if file is not None:
                days[member.name[len("archives/"):-len(".md")]] = file.read().decode("utf-8")
    seen: dict[str, Headline] = {}
    for day in sorted(d for d in days if d <= LAST_DAY):
        for m in line.finditer(days[day]):
            text = m.group(1).strip()
            if text not in seen and any(w in text for w in FINANCE_WORDS):
                seen[text] = Headline(source, text, day, m.group(2))
    return list(seen.values())


def headline_key(text: str) -> str:
    import hashlib

    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def headline_part(text: str) -> str:
    """dev (3 tenths by sha1 of the headline) or train (the rest); both hand-labelled by the same rule."""
    import hashlib

    return "dev" if hashlib.sha1(text.encode("utf-8")).digest()[0] % 10 < 3 else "train"


@dataclass(frozen=True)
class LabelledHeadline:
    headline: Headline
    key: str
    kind: str  # complaint, penalty, exposé, news, statement
    negative: bool


class LabelsDiffer(Exception):
    """A labels file does not describe exactly the headlines of its part of the archives."""


def labelled_headlines(root: Path, part: str, labels: Path,
                       hot_lists: Mapping[str, HotList] = HOT_LISTS) -> list[LabelledHeadline]:
    """The labelled, in-scope headlines of one part (dev or train); off-scope ones are listed in the labels file but
    left out. Refuses (LabelsDiffer) a file whose keys differ from the part's headlines by one, or that places a
    headline on another day than the one it first trended."""
    import csv

    with labels.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = []
    for source in hot_lists:
        mine = {headline_key(h.text): h for h in finance_headlines(root, source, hot_lists)
                if headline_part(h.text) == part}
        listed = [r for r in rows if r["source"] == source]
        if {r["key"] for r in listed} != set(mine) or len(listed) != len(mine):
            raise LabelsDiffer(f"{labels.name} and the {part} part of {source} differ")
        for r in listed:
            h = mine[r["key"]]
            if f"archives/{h.day}.md" != r["path"]:
                raise LabelsDiffer(f"{source} {r['key']}: labelled from {r['path']}, first trended {h.day}")
            if r["negative"] in ("0", "1"):
                out.append(LabelledHeadline(h, r["key"], r["kind"], r["negative"] == "1"))
    unknown = {r["source"] for r in rows} - set(hot_lists)
    if unknown:
        raise LabelsDiffer(f"{labels.name} names unknown sources {sorted(unknown)}")
    return out


def complaint_dev(root: Path) -> list[LabelledHeadline]:
    """The labelled, in-scope headlines of the dev part (read only to report; never trained or tuned on)."""
    try:
        return labelled_headlines(root, "dev", COMPLAINT_LABELS)
    except LabelsDiffer as e:
        sys.exit(str(e))


def complaint_train(root: Path) -> list[LabelledHeadline]:
    """The labelled, in-scope headlines of the train part (labelled by the same rule; trained and tuned on)."""
    try:
        return labelled_headlines(root, "train", COMPLAINT_TRAIN_LABELS)
    except LabelsDiffer as e:
        sys.exit(str(e))
