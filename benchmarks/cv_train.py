"""Dev measures for choosing the model: 5-fold cross-validation on finnsp-bdci2019 train_list.json, 5-fold
cross-validation on the labelled train part of the finance hot-list headlines, and the dev part of
reviews-sophonplus (FinNSP eval, the held-out reviews and the headlines' dev part are never read here).

    .venv/bin/python benchmarks/cv_train.py [--data DIR] [--hot-lists DIR] [--logistic-reviews N ...]
                                            [--headline-weights W ...] [--headline-logistic L ...]
                                            [--thresholds-without T ...]

Each outer fold refits the model with train_sentiment.fit (the shipped procedure): for the finance CV on the other
four fifths of the finance rows plus every train headline and the review train part, for the headline CV on every
finance row plus the other four fifths of the headlines and the review train part. The held fifth is scored with the
Analyzer's decision rule (sentiment.decide, default config unless varied). The reviews dev part is scored by the
model fitted on all train rows. Prints negative-class P/R/F1 for every combination of the options given:
`--logistic-reviews` the review rows in the logistic layer, `--headline-weights` how many times a headline's words
count in the finance table, `--headline-logistic` the weight of a headline's logistic row (0: none),
`--thresholds-without` sentiment.threshold_without_risk_words.
"""
import argparse
import random
from itertools import product

from datasets import data_dir, reviews
from train_sentiment import (FOLDS, HEADLINE_LOGISTIC, HEADLINE_WEIGHT, LOGISTIC_REVIEWS, Corpus, Headlines,
                             corpus_of, fit, load, load_headlines)

from bot.analysis.pipeline import Analyzer, Document, Signals
from bot.analysis.sentiment import SentimentModel, decide
from bot.config.analysis import AnalysisConfig, SentimentConfig

MEASURES = ("finance", "headlines", "reviews")
SEED = 7  # outer split; fit's inner split uses 2019 (finance), 2020 (reviews), 2021 (headlines)


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


def _outer(n: int) -> list[list[int]]:
    order = list(range(n))
    random.Random(SEED).shuffle(order)
    return [order[k::FOLDS] for k in range(FOLDS)]


def run(fin: Corpus, rev: Corpus | None, logistic_reviews: int, heads: Corpus | None = None,
        weight: int = HEADLINE_WEIGHT, logistic: float = HEADLINE_LOGISTIC) -> list[Scored]:
    """Out-of-fold scores of every finance train row (every headline in each fit)."""
    out = []
    every = list(range(len(heads.samples))) if heads else []
    for held in _outer(len(fin.samples)):
        rest = sorted(set(range(len(fin.samples))) - set(held))
        head = Headlines(heads, every, weight, logistic) if heads else None
        model = fit(fin, rest, rev, logistic_reviews, head).model()
        out += [scored(model, fin.sigs[i], fin.samples[i][1]) for i in sorted(held)]
    return out


def run_headlines(fin: Corpus, rev: Corpus | None, logistic_reviews: int, heads: Corpus, weight: int,
                  logistic: float) -> list[Scored]:
    """Out-of-fold scores of every train headline (every finance row in each fit)."""
    out = []
    for held in _outer(len(heads.samples)):
        rest = sorted(set(range(len(heads.samples))) - set(held))
        model = fit(fin, list(range(len(fin.samples))), rev, logistic_reviews,
                    Headlines(heads, rest, weight, logistic)).model()
        out += [scored(model, heads.sigs[i], heads.samples[i][1]) for i in sorted(held)]
    return out


def dev_reviews(fin: Corpus, rev: Corpus | None, logistic_reviews: int, dev: Corpus, heads: Corpus | None = None,
                weight: int = HEADLINE_WEIGHT, logistic: float = HEADLINE_LOGISTIC) -> list[Scored]:
    head = Headlines(heads, list(range(len(heads.samples))), weight, logistic) if heads else None
    model = fit(fin, list(range(len(fin.samples))), rev, logistic_reviews, head).model()
    return [scored(model, s, y) for s, (_, y) in zip(dev.sigs, dev.samples)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data")
    ap.add_argument("--hot-lists")
    ap.add_argument("--logistic-reviews", type=int, nargs="+", default=[LOGISTIC_REVIEWS])
    ap.add_argument("--headline-weights", type=int, nargs="+", default=[HEADLINE_WEIGHT],
                    help="times a train headline's words count in the finance table (0: not at all)")
    ap.add_argument("--headline-logistic", type=float, nargs="+", default=[HEADLINE_LOGISTIC],
                    help="weight of a train headline's row in the logistic layer (0: no row)")
    ap.add_argument("--measures", nargs="+", choices=MEASURES, default=list(MEASURES),
                    help="which of the three measures to compute (the others print as -)")
    ap.add_argument("--thresholds-without", type=float, nargs="+",
                    default=[SentimentConfig().threshold_without_risk_words],
                    help="values of sentiment.threshold_without_risk_words to score")
    args = ap.parse_args()
    fin, rev = load(args.data)
    heads = load_headlines(args.hot_lists)
    analyzer = Analyzer([], AnalysisConfig(), model=None)
    dev_rows = reviews(data_dir(args.data), "dev")
    dev = corpus_of(analyzer, [Document(id="r", title="", text=r.text) for r in dev_rows], [r.negative for r in dev_rows])
    print("| review rows | headline weight | headline logistic | threshold without risk words | finance train CV "
          "P / R / F1 | headline train CV P / R / F1 | reviews dev P / R / F1 |\n| --- | --- | --- | --- | --- | --- "
          "| --- |")
    for n, w, lg in product(args.logistic_reviews, args.headline_weights, args.headline_logistic):
        used = heads if w or lg else None
        cv = run(fin, rev, n, used, w, lg) if "finance" in args.measures else None
        hv = run_headlines(fin, rev, n, heads, w, lg) if "headlines" in args.measures else None
        dv = dev_reviews(fin, rev, n, dev, used, w, lg) if "reviews" in args.measures else None
        for without in args.thresholds_without:
            config = SentimentConfig(threshold_without_risk_words=without)
            cells = " | ".join("{:.3f} / {:.3f} / {:.3f}".format(*prf(rows, config)) if rows is not None else "-"
                               for rows in (cv, hv, dv))
            print(f"| {n} | {w} | {lg:g} | {without:g} | {cells} |", flush=True)


if __name__ == "__main__":
    main()
