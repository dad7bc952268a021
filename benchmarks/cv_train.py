"""Dev measures for choosing the model: 5-fold cross-validation on finnsp-bdci2019 train_list.json, and the dev
part of reviews-sophonplus (eval and the held-out reviews are never read here).

    .venv/bin/python benchmarks/cv_train.py [--data DIR] [--logistic-reviews N] [--sweep [N ...]]
                                            [--thresholds-without T ...]

Each outer fold refits the model on the other four fifths of the finance rows plus the review train part with
train_sentiment.fit (the shipped procedure) and scores the held fifth with the Analyzer's decision rule
(sentiment.decide, default config). The reviews dev part is scored by the model fitted on all train rows.
Prints negative-class P/R/F1. `--sweep` tries several numbers of review rows in the logistic layer,
`--thresholds-without` several values of sentiment.threshold_without_risk_words.
"""
import argparse
import random

from datasets import data_dir, reviews
from train_sentiment import FOLDS, LOGISTIC_REVIEWS, Corpus, corpus_of, fit, load

from bot.analysis.pipeline import Analyzer, Document, Signals
from bot.analysis.sentiment import SentimentModel, decide
from bot.config.analysis import AnalysisConfig, SentimentConfig

SEED = 7  # outer split; fit's inner split uses 2019


Scored = tuple[float, Signals, bool]  # P(neg), the row's signals, gold


def scored(model: SentimentModel, sig: Signals, gold: bool) -> Scored:
    return model.p_negative(sig.features(model.log_odds(sig.bayes_words))), sig, gold


def prf(rows: list[Scored], config: SentimentConfig) -> tuple[float, float, float]:
    """Negative-class P/R/F1 of the Analyzer's decision rule under this config."""
    tp = fp = fn = 0
    for p_neg, sig, gold in rows:
        pred = decide(p_neg, sig.risk.count(), len(sig.risk.negated), sig.complaint.count(), False, False,
                      sig.stance.statement, config)
        tp += pred and gold
        fp += pred and not gold
        fn += gold and not pred
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    return prec, rec, (2 * prec * rec / (prec + rec) if prec + rec else 0.0)


def run(fin: Corpus, rev: Corpus | None, logistic_reviews: int) -> list[Scored]:
    """Out-of-fold scores of every finance train row."""
    order = list(range(len(fin.samples)))
    random.Random(SEED).shuffle(order)
    out = []
    for k in range(FOLDS):
        held = set(order[k::FOLDS])
        model = fit(fin, [i for i in order if i not in held], rev, logistic_reviews).model()
        out += [scored(model, fin.sigs[i], fin.samples[i][1]) for i in sorted(held)]
    return out


def dev_reviews(fin: Corpus, rev: Corpus | None, logistic_reviews: int, dev: Corpus) -> list[Scored]:
    model = fit(fin, list(range(len(fin.samples))), rev, logistic_reviews).model()
    return [scored(model, s, y) for s, (_, y) in zip(dev.sigs, dev.samples)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data")
    ap.add_argument("--logistic-reviews", type=int, default=LOGISTIC_REVIEWS)
    ap.add_argument("--sweep", type=int, nargs="*", help="try these numbers of review rows (default: a range)")
    ap.add_argument("--thresholds-without", type=float, nargs="+",
                    default=[SentimentConfig().threshold_without_risk_words],
                    help="values of sentiment.threshold_without_risk_words to score")
    args = ap.parse_args()
    fin, rev = load(args.data)
    analyzer = Analyzer([], AnalysisConfig(), model=None)
    dev_rows = reviews(data_dir(args.data), "dev")
    dev = corpus_of(analyzer, [Document(id="r", title="", text=r.text) for r in dev_rows], [r.negative for r in dev_rows])
    print("| review rows in the logistic layer | threshold without risk words | finance train 5-fold CV P / R / F1 "
          "| reviews dev P / R / F1 |\n| --- | --- | --- | --- |")
    sizes = args.sweep or ([0, 500, 1000, 2000, 4000] if args.sweep is not None else [args.logistic_reviews])
    for w in sizes:
        cv, dv = run(fin, rev, w), dev_reviews(fin, rev, w, dev)
        for without in args.thresholds_without:
            config = SentimentConfig(threshold_without_risk_words=without)
            p, r, f = prf(cv, config)
            dp, dr, df = prf(dv, config)
            print(f"| {w} | {without:g} | {p:.3f} / {r:.3f} / {f:.3f} | {dp:.3f} / {dr:.3f} / {df:.3f} |", flush=True)


if __name__ == "__main__":
    main()
