"""Colloquial negativity on the held-out part of reviews-sophonplus (2 tenths by text hash, never trained or tuned
on), side by side with snownlp out of the box and a plain lexicon, in the same run.

    .venv/bin/python benchmarks/reviews_eval.py [--data DIR] [--part heldout|dev]

Reviews of shops, food delivery and hotels, not finance: this measures whether the model knows everyday complaint
language (垃圾, 太坑了, 客服不理人), the register of complaint posts. Every reading of the held-out part is listed in
docs/analysis.md.
"""
import argparse
import time

from datasets import data_dir, reviews
from finnsp_eval import binary, row

from bot.analysis.pipeline import Analyzer, Document
from bot.analysis.segment import read_word_list
from bot.analysis.textform import normalise
from bot.config.analysis import AnalysisConfig


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data")
    ap.add_argument("--part", default="heldout", choices=["heldout", "dev"])
    args = ap.parse_args()
    rows = reviews(data_dir(args.data), args.part)
    gold = [r.negative for r in rows]
    print(f"reviews-sophonplus {args.part}: {len(rows)} reviews, {sum(gold)} negative\n")
    print("| negative class | precision | recall | F1 | time |\n| --- | --- | --- | --- | --- |")

    from snownlp import SnowNLP
    t0 = time.perf_counter()
    snow = [SnowNLP(r.text).sentiments < 0.5 for r in rows]
    print(row("snownlp out of the box (< 0.5)", binary(snow, gold), time.perf_counter() - t0))

    words = [normalise(w) for w in read_word_list("risk_words.txt") + read_word_list("complaint_words.txt")]
    t0 = time.perf_counter()
    lex = [any(w in t for w in words) for t in (normalise(r.text) for r in rows)]
    print(row(f"plain risk + complaint lexicon ({len(words)} words, any hit)", binary(lex, gold),
              time.perf_counter() - t0))

    analyzer = Analyzer.from_config([], AnalysisConfig())
    t0 = time.perf_counter()
    ours = [analyzer.analyze(Document(id="r", title="", text=r.text)).negative for r in rows]
    print(row("yuqing Analyzer", binary(ours, gold), time.perf_counter() - t0))


if __name__ == "__main__":
    main()
