"""The finance hot-list set's loader (benchmarks/datasets.py) on a small archive built here: a real git repository
with dated Markdown lists, read at a pinned commit; labels files that resolve, and ones that do not."""
import csv
import importlib.util
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
_spec = importlib.util.spec_from_file_location("yuqing_benchmark_datasets", REPO / "benchmarks" / "datasets.py")
assert _spec and _spec.loader
datasets = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(datasets)

SOURCE = "weibo-hot-search"
# candidates name a finance word; the last one does not and is no candidate
DAY1 = ["某银行被罚500万", "信用卡年费新规", "花呗崩了", "网贷平台上线新功能", "储户存款取不出", "一只猫的日常"]
DAY2 = ["花呗崩了", "银行下调存款利率", "房贷利率再降"]  # 花呗崩了 first trended on day 1


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def _archive(tmp_path: Path) -> tuple[Path, dict]:
    """An archive laid out like justjavac's (archives/YYYY-MM-DD.md, one numbered list a day) as a bare repository
    under root/owner+name/repo, and the HOT_LISTS entry pinning its commit."""
    work = tmp_path / "work"
    (work / "archives").mkdir(parents=True)
    for day, lines in (("2021-03-01", DAY1), ("2021-03-02", DAY2)):
        body = "\n".join(f"{i}. [{t}](https://s.weibo.com/weibo?q={i})" for i, t in enumerate(lines, 1))
        (work / "archives" / f"{day}.md").write_text(f"# {day}\n\n{body}\n", encoding="utf-8")
    _git("init", "-q", cwd=work)
    _git("add", ".", cwd=work)
    _git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "lists", cwd=work)
    commit = _git("rev-parse", "HEAD", cwd=work)
    # a later commit the loader must not see: it reads the pinned one
    (work / "archives" / "2021-03-03.md").write_text("1. [银行新闻不该出现](https://x)\n", encoding="utf-8")
    _git("add", ".", cwd=work)
    _git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "later", cwd=work)
    root = tmp_path / "mirror"
    (root / "owner+lists").mkdir(parents=True)
    _git("clone", "-q", "--bare", str(work), str(root / "owner+lists" / "repo"), cwd=tmp_path)
    return root, {SOURCE: datasets.HotList("owner/lists", commit)}


def _write(path: Path, rows: list[tuple[str, str, str, str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["source", "path", "key", "kind", "negative"])
        w.writerows(rows)
    return path


def _rows(part: str) -> list[tuple[str, str, str, str, str]]:
    first = {t: "2021-03-01" for t in DAY1} | {t: "2021-03-02" for t in DAY2 if t not in DAY1}
    out = []
    for text, day in first.items():
        if not any(w in text for w in datasets.FINANCE_WORDS) or datasets.headline_part(text) != part:
            continue
        negative = "1" if any(w in text for w in ("被罚", "崩了", "取不出")) else "0"
        kind = "off-scope" if "新功能" in text else ("complaint" if negative == "1" else "news")
        out.append((SOURCE, f"archives/{day}.md", datasets.headline_key(text), kind,
                    "" if kind == "off-scope" else negative))
    return out


def test_candidates_are_finance_headlines_at_the_day_they_first_trended(tmp_path):
    root, hot = _archive(tmp_path)
    found = {h.text: h.day for h in datasets.finance_headlines(root, SOURCE, hot)}
    assert "一只猫的日常" not in found and "银行新闻不该出现" not in found
    assert found["花呗崩了"] == "2021-03-01"
    assert found["银行下调存款利率"] == "2021-03-02"
    assert len(found) == 7


@pytest.mark.parametrize("part", ["dev", "train"])
def test_labels_resolve_to_the_archive_texts(tmp_path, part):
    root, hot = _archive(tmp_path)
    rows = _rows(part)
    assert rows, "the fixture has headlines in both parts"
    items = datasets.labelled_headlines(root, part, _write(tmp_path / "labels.csv", rows), hot)
    in_scope = [r for r in rows if r[3] != "off-scope"]
    assert sorted(it.key for it in items) == sorted(r[2] for r in in_scope)
    for it in items:
        assert datasets.headline_key(it.headline.text) == it.key
        assert datasets.headline_part(it.headline.text) == part
        assert it.negative == any(w in it.headline.text for w in ("被罚", "崩了", "取不出"))


def test_a_labels_file_that_disagrees_with_the_archive_is_refused(tmp_path):
    root, hot = _archive(tmp_path)
    part = "dev" if len(_rows("dev")) >= len(_rows("train")) else "train"
    rows = _rows(part)
    labels = tmp_path / "labels.csv"
    with pytest.raises(datasets.LabelsDiffer, match="differ"):  # one headline left out
        datasets.labelled_headlines(root, part, _write(labels, rows[1:]), hot)
    stranger = (SOURCE, "archives/2021-03-01.md", datasets.headline_key("银行不存在的标题"), "news", "0")
    with pytest.raises(datasets.LabelsDiffer, match="differ"):  # a key the archive does not have
        datasets.labelled_headlines(root, part, _write(labels, rows + [stranger]), hot)
    moved = [(rows[0][0], "archives/2021-03-09.md", *rows[0][2:])] + rows[1:]
    with pytest.raises(datasets.LabelsDiffer, match="first trended"):  # placed on another day
        datasets.labelled_headlines(root, part, _write(labels, moved), hot)
    other = (SOURCE, "archives/2021-03-01.md", rows[0][2], "news", "0")
    wrong_part = _rows("train" if part == "dev" else "dev")
    with pytest.raises(datasets.LabelsDiffer, match="differ"):  # the other part's keys
        datasets.labelled_headlines(root, part, _write(labels, wrong_part + [other]), hot)


def test_the_committed_labels_files_are_well_formed():
    """Without the snapshots: every committed label names a known source, a dated archive file, a 16-hex key, a kind
    and a label that agree with the written rule's kinds, and the two parts share no key."""
    kinds = {"complaint", "penalty", "exposé", "statement", "news", "off-scope"}
    keys: dict[str, set[str]] = {}
    for part, path in (("dev", datasets.COMPLAINT_LABELS), ("train", datasets.COMPLAINT_TRAIN_LABELS)):
        with path.open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        keys[part] = {r["key"] for r in rows}
        assert len(keys[part]) == len(rows)
        for r in rows:
            assert r["source"] in datasets.HOT_LISTS
            assert r["path"].startswith("archives/") and r["path"].endswith(".md")
            assert len(r["key"]) == 16 and int(r["key"], 16) >= 0
            assert r["kind"] in kinds
            if r["kind"] == "off-scope":
                assert r["negative"] == ""
            elif r["kind"] in ("complaint", "penalty", "exposé"):
                assert r["negative"] == "1"
            elif r["kind"] != "off-scope":
                assert r["negative"] in ("0", "1")
    assert not keys["dev"] & keys["train"]
