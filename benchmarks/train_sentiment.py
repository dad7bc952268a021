"""Refit the finance sentiment model shipped in bot/analysis/data/sentiment_model.json.

    .venv/bin/python benchmarks/train_sentiment.py [--data DIR]

Reads finnsp-bdci2019 train_list.json only. Writes word counts per class (words seen at least twice; no text)
and the weights of the logistic layer, fitted on out-of-fold Bayes scores (5 folds) so it does not trust an
overfitted Bayes score. Deterministic: the same data gives the same file.
"""
import argparse
import json
import random
from collections import Counter

from datasets import REPO, data_dir, finnsp

from bot.analysis.pipeline import Analyzer
from bot.analysis.sentiment import FEATURES, MODEL_FILE, BayesTable, sigmoid
from bot.config.analysis import AnalysisConfig

MIN_COUNT = 2
FOLDS = 5
L2 = 1e-3
STEPS = 600
RATE = 0.5


def counts(samples: list[tuple[tuple[str, ...], bool]]) -> tuple[dict[str, int], dict[str, int]]:
    neg, pos = Counter(), Counter()
    for words, negative in samples:
        (neg if negative else pos).update(words)
    keep = {w for w in neg.keys() | pos.keys() if neg[w] + pos[w] >= MIN_COUNT}
    return {w: neg[w] for w in sorted(keep) if neg[w]}, {w: pos[w] for w in sorted(keep) if pos[w]}


def fit_logistic(xs: list[list[float]], ys: list[bool]) -> list[float]:
    """Plain batch gradient descent with a little L2; 8 features need nothing more."""
    w = [0.0] * len(xs[0])
    for _ in range(STEPS):
        grad = [0.0] * len(w)
        for x, y in zip(xs, ys):
            p = sigmoid(sum(a * b for a, b in zip(w, x)))
            for j, xj in enumerate(x):
                grad[j] += (p - y) * xj
        w = [wj - RATE * (g / len(xs) + L2 * wj) for wj, g in zip(w, grad)]
    return [round(v, 6) for v in w]


def fit(samples: list[tuple[tuple[str, ...], bool]], sigs: list, idx: list[int]) -> tuple[dict, dict, list[float]]:
    """Word counts and logistic weights fitted on the rows `idx` (the logistic layer on 5-fold out-of-fold Bayes
    scores). Shared by main() and benchmarks/cv_train.py, so CV measures exactly the shipped procedure."""
    order = list(idx)
    random.Random(2019).shuffle(order)
    oof = {}
    for k in range(FOLDS):
        held = set(order[k::FOLDS])
        table = BayesTable.from_counts(*counts([samples[i] for i in order if i not in held]))
        for i in held:
            oof[i] = table.log_odds(samples[i][0])
    weights = fit_logistic([sigs[i].features(oof[i]) for i in idx], [samples[i][1] for i in idx])
    neg, pos = counts([samples[i] for i in idx])
    return neg, pos, weights


def load(option: str | None) -> tuple[list, list, list[tuple[tuple[str, ...], bool]]]:
    """The train rows, their signals and their (Bayes words, negative) samples."""
    rows = finnsp(data_dir(option), "train")
    analyzer = Analyzer([], AnalysisConfig(), model=None)
    sigs = [analyzer.signals(r.doc)[1] for r in rows]
    return rows, sigs, [(s.bayes_words, r.negative) for s, r in zip(sigs, rows)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data")
    rows, sigs, samples = load(ap.parse_args().data)
    neg, pos, weights = fit(samples, sigs, list(range(len(rows))))
    model = {
        "about": "finance sentiment for yuqing: snownlp-style Bayes word counts + logistic combiner weights; "
                 "fitted on finnsp-bdci2019 train_list.json by benchmarks/train_sentiment.py",
        "bayes": {"neg": neg, "pos": pos},
        "combiner": {"features": list(FEATURES), "weights": weights},
    }
    out = REPO / "bot" / "analysis" / "data" / MODEL_FILE
    out.write_text(json.dumps(model, ensure_ascii=False, sort_keys=True, separators=(",", ":")), encoding="utf-8")
    print(f"{len(rows)} train rows, {len(neg)} + {len(pos)} word counts, weights {dict(zip(FEATURES, weights))}")
    print(f"wrote {out.relative_to(REPO)} ({out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
