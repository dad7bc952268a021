"""Dev measures for choosing the model: 5-fold cross-validation on finnsp-bdci2019 train_list.json, and the dev
part of reviews-sophonplus (eval and the held-out reviews are never read here).

    .venv/bin/python benchmarks/cv_train.py [--data DIR] [--review-weight W] [--sweep]

Each outer fold refits the model on the other four fifths of the finance rows plus the review train part with
train_sentiment.fit (the shipped procedure) and scores the held fifth with the Analyzer's decision rule
(sentiment.decide, default config). The reviews dev part is scored by the model fitted on all train rows.
Prints negative-class P/R/F1. `--sweep` tries several review weights.
"""
import argparse
import random

from datasets import data_dir, reviews
from train_sentiment import FOLDS, REVIEW_WEIGHT, Corpus, corpus_of, fit, load

from bot.analysis.pipeline import Analyzer, Document, Signals
from bot.analysis.sentiment import BayesTable, SentimentModel, decide
from bot.config.analysis import AnalysisConfig, SentimentConfig

SEED = 7  # outer split; fit's inner split uses 2019


def predict(model: SentimentModel, sig: Signals, config: SentimentConfig) -> bool:
    p_neg = model.p_negative(sig.features(model.bayes.log_odds(sig.bayes_words)))
    return decide(p_neg, sig.risk.count(), sig.complaint.count(), False, False, sig.stance.statement, config)


def prf(pairs: list[tuple[bool, bool]]) -> tuple[float, float, float]:
    tp = sum(p and g for p, g in pairs)
    fp = sum(p and not g for p, g in pairs)
    fn = sum(g and not p for p, g in pairs)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    return prec, rec, (2 * prec * rec / (prec + rec) if prec + rec else 0.0)


def run(fin: Corpus, rev: Corpus | None, weight: float,
        config: SentimentConfig = SentimentConfig()) -> tuple[float, float, float]:
    order = list(range(len(fin.samples)))
    random.Random(SEED).shuffle(order)
    pairs = []
    for k in range(FOLDS):
        held = set(order[k::FOLDS])
        neg, pos, weights = fit(fin, [i for i in order if i not in held], rev, weight)
        model = SentimentModel(BayesTable.from_counts(neg, pos), weights)
        pairs += [(predict(model, fin.sigs[i], config), fin.samples[i][1]) for i in held]
    return prf(pairs)


def dev_reviews(fin: Corpus, rev: Corpus | None, weight: float, dev: Corpus) -> tuple[float, float, float]:
    neg, pos, weights = fit(fin, list(range(len(fin.samples))), rev, weight)
    model = SentimentModel(BayesTable.from_counts(neg, pos), weights)
    return prf([(predict(model, s, SentimentConfig()), y) for s, (_, y) in zip(dev.sigs, dev.samples)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data")
    ap.add_argument("--review-weight", type=float, default=REVIEW_WEIGHT)
    ap.add_argument("--sweep", type=float, nargs="*", help="try these review weights (default: a range)")
    args = ap.parse_args()
    fin, rev = load(args.data)
    analyzer = Analyzer([], AnalysisConfig(), model=None)
    dev_rows = reviews(data_dir(args.data), "dev")
    dev = corpus_of(analyzer, [Document(id="r", title="", text=r.text) for r in dev_rows], [r.negative for r in dev_rows])
    print("| review weight | finance train 5-fold CV P / R / F1 | reviews dev P / R / F1 |\n| --- | --- | --- |")
    weights = args.sweep or ([0.0, 0.05, 0.1, 0.2, 0.5, 1.0] if args.sweep is not None else [args.review_weight])
    for w in weights:
        p, r, f = run(fin, rev, w)
        dp, dr, df = dev_reviews(fin, rev, w, dev)
        print(f"| {w:g} | {p:.3f} / {r:.3f} / {f:.3f} | {dp:.3f} / {dr:.3f} / {df:.3f} |", flush=True)


if __name__ == "__main__":
    main()
