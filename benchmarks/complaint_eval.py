"""Negativity on the finance dev set (hand-labelled hot-list headlines about banks and lenders, never trained or tuned
on), side by side with snownlp out of the box and a plain lexicon, in the same run.

    .venv/bin/python benchmarks/complaint_eval.py [--hot-lists DIR]

The set and its labelling rule are described in docs/analysis.md (Finance dev set); every reading of it is listed
there. Weibo headlines are analysed as `platform: weibo`, Zhihu questions as `forum`: no item comes from a complaint
platform, so the complaint-platform prior does not apply. Prints P/R/F1 of the negative class, then, per kind and per
source, how many items each method calls negative.
"""
import argparse
import time
from collections import defaultdict

from datasets import LabelledHeadline, complaint_dev, hot_lists_dir
from finnsp_eval import binary, row

from bot.analysis.pipeline import Analyzer, Document
from bot.analysis.segment import read_word_list
from bot.analysis.textform import normalise
from bot.config.analysis import AnalysisConfig

PLATFORM = {"weibo-hot-search": "weibo", "zhihu-hot-questions": "forum"}
KINDS = ("complaint", "penalty", "exposé", "statement", "news")


def called(items: list[LabelledHeadline], preds: dict[str, list[bool]], group: str, key: str) -> str:
    """One table row: for a group of items, how many of its negative and not-negative items each method flags."""
    idx = [i for i, it in enumerate(items) if (it.kind if group == "kind" else it.headline.source) == key]
    neg = [i for i in idx if items[i].negative]
    pos = [i for i in idx if not items[i].negative]
    cells = [f"{sum(p[i] for i in neg)}/{len(neg)} · {sum(p[i] for i in pos)}/{len(pos)}" for p in preds.values()]
    return f"| {key} | {len(idx)} | " + " | ".join(cells) + " |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hot-lists")
    args = ap.parse_args()
    items = complaint_dev(hot_lists_dir(args.hot_lists))
    gold = [it.negative for it in items]
    texts = [it.headline.text for it in items]
    print(f"finance dev set: {len(items)} headlines in scope, {sum(gold)} negative\n")
    print("| negative class | precision | recall | F1 | time |\n| --- | --- | --- | --- | --- |")
    preds: dict[str, list[bool]] = {}

    from snownlp import SnowNLP
    t0 = time.perf_counter()
    preds["snownlp"] = [SnowNLP(t).sentiments < 0.5 for t in texts]
    print(row("snownlp out of the box (< 0.5)", binary(preds["snownlp"], gold), time.perf_counter() - t0))

    words = [normalise(w) for w in read_word_list("risk_words.txt") + read_word_list("complaint_words.txt")]
    t0 = time.perf_counter()
    preds["lexicon"] = [any(w in t for w in words) for t in (normalise(t) for t in texts)]
    print(row(f"plain risk + complaint lexicon ({len(words)} words, any hit)", binary(preds["lexicon"], gold),
              time.perf_counter() - t0))

    analyzer = Analyzer.from_config([], AnalysisConfig())
    t0 = time.perf_counter()
    preds["yuqing"] = [analyzer.analyze(Document(id=it.key, title="", text=it.headline.text,
                                                 platform=PLATFORM[it.headline.source])).negative for it in items]
    print(row("yuqing Analyzer", binary(preds["yuqing"], gold), time.perf_counter() - t0))

    header = " | ".join(f"{name}: negative flagged · not-negative flagged" for name in preds)
    for group, keys in (("kind", KINDS), ("source", tuple(PLATFORM))):
        print(f"\n| {group} | items | {header} |\n| --- | --- |" + " --- |" * len(preds))
        for key in keys:
            print(called(items, preds, group, key))

    misses: dict[str, list[str]] = defaultdict(list)
    for it, p in zip(items, preds["yuqing"]):
        if p != it.negative:
            misses["false positive" if p else "missed"].append(f"{it.kind}: {it.headline.text}")
    for name, lines in misses.items():
        print(f"\nyuqing {name} ({len(lines)}):")
        for line in lines:
            print("  " + line)


if __name__ == "__main__":
    main()
