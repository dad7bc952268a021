"""Refit the finance sentiment model shipped in bot/analysis/data/sentiment_model.json.

    .venv/bin/python benchmarks/train_sentiment.py [--data DIR] [--review-weight W]

Reads finnsp-bdci2019 train_list.json and the train part of reviews-sophonplus (a fixed 7 tenths by text hash;
benchmarks/datasets.py), never their eval / dev / held-out parts. The Bayes counts are the finance counts plus W x
the review counts (colloquial complaint language: 垃圾, 太坑了, 客服不理人); W was chosen on the reviews dev part
and finance train cross-validation (benchmarks/cv_train.py --sweep). Writes word counts per class (words seen at
least twice; no text) and the weights of the logistic layer, fitted on out-of-fold Bayes scores (5 folds) of the
finance rows and a fixed sample of review rows, so it does not trust an overfitted Bayes score. Deterministic.
"""
import argparse
import json
import random
from collections import Counter
from dataclasses import dataclass

from datasets import REPO, data_dir, finnsp, reviews

from bot.analysis.pipeline import Analyzer, Document, Signals
from bot.analysis.sentiment import FEATURES, MODEL_FILE, BayesTable, sigmoid
from bot.config.analysis import AnalysisConfig

MIN_COUNT = 2
FOLDS = 5
L2 = 1e-3
STEPS = 600
RATE = 0.5
REVIEW_WEIGHT = 0.1        # chosen by cv_train.py --sweep (docs/analysis.md)
LOGISTIC_REVIEWS = 2000    # review rows the logistic layer also sees (every n-th of the train part)

Sample = tuple[tuple[str, ...], bool]


@dataclass
class Corpus:
    """Training rows: their Bayes words and label, and the signals the logistic layer reads."""

    samples: list[Sample]
    sigs: list[Signals]


def counts(samples: list[Sample], weight: float = 1.0) -> tuple[Counter, Counter]:
    neg: Counter = Counter()
    pos: Counter = Counter()
    for words, negative in samples:
        (neg if negative else pos).update(words)
    if weight != 1.0:
        neg = Counter({w: c * weight for w, c in neg.items()})
        pos = Counter({w: c * weight for w, c in pos.items()})
    return neg, pos


def merged(parts: list[tuple[Counter, Counter]], seen: Counter) -> tuple[dict[str, float], dict[str, float]]:
    """Sum of weighted counts, keeping words that occur in at least MIN_COUNT texts."""
    neg, pos = _sum(parts)
    keep = sorted(w for w, c in seen.items() if c >= MIN_COUNT)
    return ({w: round(neg[w], 3) for w in keep if neg[w]}, {w: round(pos[w], 3) for w in keep if pos[w]})


def _sum(parts: list[tuple[Counter, Counter]]) -> tuple[Counter, Counter]:
    neg: Counter = Counter()
    pos: Counter = Counter()
    for n, p in parts:
        neg.update(n)
        pos.update(p)
    return neg, pos


def occurrences(samples: list[Sample]) -> Counter:
    seen: Counter = Counter()
    for words, _ in samples:
        seen.update(words)
    return seen


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


@dataclass
class Group:
    corpus: Corpus
    rows: list[int]
    weight: float
    logistic_cap: int | None = None  # at most about this many of its rows train the logistic layer


def fit(fin: Corpus, idx: list[int], rev: Corpus | None = None, weight: float = REVIEW_WEIGHT,
        extra: Corpus | None = None, extra_weight: float = 1.0) -> tuple[dict, dict, list[float]]:
    """Word counts and logistic weights from the finance rows `idx`, all review rows (x `weight`) and `extra`
    rows such as the team's labels (x `extra_weight`); the logistic layer on 5-fold out-of-fold Bayes scores.
    Shared by main(), benchmarks/cv_train.py and `yuqing train`, so each measures the shipped procedure."""
    groups = [Group(fin, list(idx), 1.0)]
    if rev is not None and weight > 0:
        groups.append(Group(rev, list(range(len(rev.samples))), weight, LOGISTIC_REVIEWS))
    if extra is not None and extra.samples:
        groups.append(Group(extra, list(range(len(extra.samples))), extra_weight))
    folds: list[list[list[int]]] = []
    for n, g in enumerate(groups):
        order = list(g.rows)
        random.Random(2019 + n).shuffle(order)
        folds.append([order[k::FOLDS] for k in range(FOLDS)])
    xs: list[list[float]] = []
    ys: list[bool] = []
    for k in range(FOLDS):
        fold_rows = [[g.corpus.samples[i] for j, f in enumerate(gf) if j != k for i in f] for g, gf in zip(groups, folds)]
        seen_k: Counter = Counter()
        for rows_k in fold_rows:
            seen_k.update(occurrences(rows_k))
        table = BayesTable.from_counts(*merged([counts(r, g.weight) for r, g in zip(fold_rows, groups)], seen_k))
        for g, gf in zip(groups, folds):
            step = max(1, len(g.rows) // g.logistic_cap) if g.logistic_cap else 1
            for i in gf[k][::step]:
                xs.append(g.corpus.sigs[i].features(table.log_odds(g.corpus.samples[i][0])))
                ys.append(g.corpus.samples[i][1])
    weights = fit_logistic(xs, ys)
    seen: Counter = Counter()
    for g in groups:
        seen.update(occurrences([g.corpus.samples[i] for i in g.rows]))
    neg, pos = merged([counts([g.corpus.samples[i] for i in g.rows], g.weight) for g in groups], seen)
    return neg, pos, weights


def corpus_of(analyzer: Analyzer, docs: list[Document], labels: list[bool]) -> Corpus:
    sigs = [analyzer.signals(d)[1] for d in docs]
    return Corpus([(s.bayes_words, y) for s, y in zip(sigs, labels)], sigs)


def load(option: str | None, with_reviews: bool = True) -> tuple[Corpus, Corpus | None]:
    """The finance train rows and the review train rows, with their signals."""
    root = data_dir(option)
    rows = finnsp(root, "train")
    analyzer = Analyzer([], AnalysisConfig(), model=None)
    fin = corpus_of(analyzer, [r.doc for r in rows], [r.negative for r in rows])
    if not with_reviews:
        return fin, None
    revs = reviews(root, "train")
    rev = corpus_of(analyzer, [Document(id="r", title="", text=r.text) for r in revs], [r.negative for r in revs])
    return fin, rev


def model_json(neg: dict, pos: dict, weights: list[float], about: str) -> dict:
    return {"about": about, "bayes": {"neg": neg, "pos": pos},
            "combiner": {"features": list(FEATURES), "weights": weights}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data")
    ap.add_argument("--review-weight", type=float, default=REVIEW_WEIGHT)
    args = ap.parse_args()
    fin, rev = load(args.data)
    neg, pos, weights = fit(fin, list(range(len(fin.samples))), rev, args.review_weight)
    model = model_json(neg, pos, weights,
                       "finance sentiment for yuqing: snownlp-style Bayes word counts + logistic combiner weights; "
                       "fitted by benchmarks/train_sentiment.py on finnsp-bdci2019 train_list.json (BBT-FinCUGE, "
                       "commit 654d132) and the train part of SophonPlus ChineseNlpCorpus reviews (commit a0b781d) "
                       f"x {args.review_weight}; provenance in docs/analysis.md")
    out = REPO / "bot" / "analysis" / "data" / MODEL_FILE
    out.write_text(json.dumps(model, ensure_ascii=False, sort_keys=True, separators=(",", ":")), encoding="utf-8")
    print(f"{len(fin.samples)} finance + {len(rev.samples) if rev else 0} review rows, {len(neg)} + {len(pos)} "
          f"word counts, weights {dict(zip(FEATURES, weights))}")
    print(f"wrote {out.relative_to(REPO)} ({out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
