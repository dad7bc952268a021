"""5-fold cross-validation of the sentiment model on finnsp-bdci2019 train_list.json only (eval is never read).

    .venv/bin/python benchmarks/cv_train.py [--data DIR]

Each outer fold repeats benchmarks/train_sentiment.py on the other four fifths (Bayes counts; logistic layer on
inner out-of-fold Bayes scores) and scores the held fifth with the Analyzer's decision rule (threshold 0.6, 0.8
without an un-negated risk word). Prints negative-class P/R/F1 pooled over the five held folds.
"""
import argparse
import random

from datasets import data_dir, finnsp
from train_sentiment import FOLDS, counts, fit_logistic

from bot.analysis.pipeline import Analyzer
from bot.analysis.sentiment import BayesTable, combiner_features
from bot.config.analysis import AnalysisConfig

SEED = 7  # outer split; train_sentiment.py's inner split uses 2019


def features(bayes: float, s) -> list[float]:
    return combiner_features(bayes, s.risk.count(), len(s.risk.negated), s.near_risk, bool(s.mentions))


def run(rows, sigs, threshold: float = 0.6, without_risk: float = 0.8) -> tuple[float, float, float]:
    samples = [(s.bayes_words, r.negative) for s, r in zip(sigs, rows)]
    order = list(range(len(rows)))
    random.Random(SEED).shuffle(order)
    tp = fp = fn = 0
    for k in range(FOLDS):
        held = order[k::FOLDS]
        held_set = set(held)
        train = [i for i in range(len(rows)) if i not in held_set]
        inner = list(train)
        random.Random(2019).shuffle(inner)
        oof = {}
        for j in range(FOLDS):
            ih = set(inner[j::FOLDS])
            table = BayesTable.from_counts(*counts([samples[i] for i in inner if i not in ih]))
            for i in ih:
                oof[i] = table.log_odds(samples[i][0])
        weights = fit_logistic([features(oof[i], sigs[i]) for i in train], [rows[i].negative for i in train])
        table = BayesTable.from_counts(*counts([samples[i] for i in train]))
        for i in held:
            z = sum(w * x for w, x in zip(weights, features(table.log_odds(samples[i][0]), sigs[i])))
            p = 1 / (1 + pow(2.718281828459045, -max(-30.0, min(30.0, z))))
            pred = p >= (threshold if sigs[i].risk.count() else max(threshold, without_risk))
            gold = rows[i].negative
            tp += pred and gold
            fp += pred and not gold
            fn += gold and not pred
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    return prec, rec, (2 * prec * rec / (prec + rec) if prec + rec else 0.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data")
    args = ap.parse_args()
    rows = finnsp(data_dir(args.data), "train")
    analyzer = Analyzer([], AnalysisConfig(), model=None)
    sigs = [analyzer.signals(r.doc)[1] for r in rows]
    p, r, f = run(rows, sigs)
    print(f"5-fold CV on train ({len(rows)} rows): negative P {p:.3f} R {r:.3f} F1 {f:.3f}")


if __name__ == "__main__":
    main()
