"""5-fold cross-validation of the sentiment model on finnsp-bdci2019 train_list.json only (eval is never read).

    .venv/bin/python benchmarks/cv_train.py [--data DIR]

Each outer fold refits the model on the other four fifths with train_sentiment.fit (the shipped procedure) and
scores the held fifth with the Analyzer's decision rule (sentiment.decide, default config). Prints
negative-class P/R/F1 pooled over the five held folds.
"""
import argparse
import random

from train_sentiment import FOLDS, fit, load

from bot.analysis.sentiment import BayesTable, SentimentModel, decide
from bot.config.analysis import SentimentConfig

SEED = 7  # outer split; fit's inner split uses 2019


def run(sigs, samples, config: SentimentConfig = SentimentConfig()) -> tuple[float, float, float]:
    order = list(range(len(samples)))
    random.Random(SEED).shuffle(order)
    tp = fp = fn = 0
    for k in range(FOLDS):
        held = order[k::FOLDS]
        held_set = set(held)
        neg, pos, weights = fit(samples, sigs, [i for i in range(len(samples)) if i not in held_set])
        model = SentimentModel(BayesTable.from_counts(neg, pos), weights)
        for i in held:
            words, gold = samples[i]
            p_neg = model.p_negative(sigs[i].features(model.bayes.log_odds(words)))
            sig = sigs[i]
            pred = decide(p_neg, sig.risk.count(), sig.complaint.count(), False, False, sig.stance.statement,
                          config)
            tp += pred and gold
            fp += pred and not gold
            fn += gold and not pred
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    return prec, rec, (2 * prec * rec / (prec + rec) if prec + rec else 0.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data")
    rows, sigs, samples = load(ap.parse_args().data)
    p, r, f = run(sigs, samples)
    print(f"5-fold CV on train ({len(rows)} rows): negative P {p:.3f} R {r:.3f} F1 {f:.3f}")


if __name__ == "__main__":
    main()
