"""Negative-news detection on finnsp-bdci2019 eval_list.json (never tuned on), side by side with two baselines.

    .venv/bin/python benchmarks/finnsp_eval.py [--data DIR] [--split eval|train]

Rows: plain snownlp (SnowNLP(text).sentiments < 0.5), snownlp's own model scored on our tokens, a plain finance-risk lexicon (negative if any word of
bot/analysis/data/risk_words.txt occurs, no negation), and the project's Analyzer through the offline "brands"
path (the listed entities are the brands). Then the entity-level F1 over (text, entity) pairs: predicted = brands
with `negative`, gold = key_entity.
"""
import argparse
import time

from datasets import data_dir, finnsp

from bot.analysis.pipeline import Analyzer
from bot.analysis.segment import read_word_list
from bot.analysis.textform import normalise
from bot.analysis.sentiment import BayesTable
from bot.config.analysis import AnalysisConfig


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def binary(pred: list[bool], gold: list[bool]) -> tuple[float, float, float]:
    tp = sum(p and g for p, g in zip(pred, gold))
    fp = sum(p and not g for p, g in zip(pred, gold))
    fn = sum(g and not p for p, g in zip(pred, gold))
    return prf(tp, fp, fn)


def row(name: str, scores: tuple[float, float, float], seconds: float) -> str:
    p, r, f = scores
    return f"| {name} | {p:.3f} | {r:.3f} | {f:.3f} | {seconds:.1f} s |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data")
    ap.add_argument("--split", default="eval", choices=["eval", "train"])
    args = ap.parse_args()
    rows = finnsp(data_dir(args.data), args.split)
    gold = [r.negative for r in rows]
    texts = [r.doc.text if not r.doc.title or r.doc.title in r.doc.text else f"{r.doc.title}\n{r.doc.text}"
             for r in rows]
    print(f"finnsp-bdci2019 {args.split}_list.json: {len(rows)} rows, {sum(gold)} negative\n")
    print("| negative class | precision | recall | F1 | time |\n| --- | --- | --- | --- | --- |")

    from snownlp import SnowNLP
    t0 = time.perf_counter()
    snow = [SnowNLP(t).sentiments < 0.5 for t in texts]
    print(row("snownlp out of the box (< 0.5)", binary(snow, gold), time.perf_counter() - t0))

    words = [normalise(w) for w in read_word_list("risk_words.txt") + read_word_list("complaint_words.txt")]
    t0 = time.perf_counter()
    lex = [any(w in n for w in words) for n in (normalise(t) for t in texts)]
    print(row(f"plain risk + complaint lexicon ({len(words)} words, any hit)", binary(lex, gold), time.perf_counter() - t0))

    analyzer = Analyzer.from_config([], AnalysisConfig())
    review_model = BayesTable.from_snownlp()
    t0 = time.perf_counter()
    snow_ours = [review_model.log_odds(analyzer.signals(r.doc)[1].bayes_words) > 0 for r in rows]
    print(row("snownlp's review model, our jieba tokens + negation", binary(snow_ours, gold), time.perf_counter() - t0))

    t0 = time.perf_counter()
    results = [analyzer.analyze(r.doc) for r in rows]
    print(row("yuqing Analyzer", binary([a.negative for a in results], gold), time.perf_counter() - t0))

    tp = fp = fn = 0
    for r, a in zip(rows, results):
        predicted = {b.name for b in a.brands if b.negative}
        tp += len(predicted & r.key_entities)
        fp += len(predicted - r.key_entities)
        fn += len(r.key_entities - predicted)
    p, rec, f = prf(tp, fp, fn)
    always = prf(*_always_all(rows))
    print("\n| entity level, (text, entity) pairs | precision | recall | F1 |\n| --- | --- | --- | --- |")
    print(f"| yuqing Analyzer (negative brands) | {p:.3f} | {rec:.3f} | {f:.3f} |")
    print(f"| reference: every listed entity of every truly negative text | {always[0]:.3f} | {always[1]:.3f} | "
          f"{always[2]:.3f} |")


def _always_all(rows) -> tuple[int, int, int]:
    tp = fp = fn = 0
    for r in rows:
        predicted = set(r.entities) if r.negative else set()
        tp += len(predicted & r.key_entities)
        fp += len(predicted - r.key_entities)
        fn += len(r.key_entities - predicted)
    return tp, fp, fn


if __name__ == "__main__":
    main()
