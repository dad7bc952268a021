"""Refit the finance sentiment model shipped in bot/analysis/data/sentiment_model.json.

    .venv/bin/python benchmarks/train_sentiment.py [--data DIR] [--logistic-reviews N]

Reads finnsp-bdci2019 train_list.json and the train part of reviews-sophonplus (a fixed 7 tenths by text hash;
benchmarks/datasets.py), never their eval / dev / held-out parts. Two Bayes tables: finance text, and the everyday
complaint language of consumer reviews (垃圾, 太坑了, 客服不理人); each is one input of the logistic layer, which
is fitted on out-of-fold scores (5 folds) of the finance rows and about N review rows, so it trusts neither an
overfitted score nor the shopping register more than the finance data supports. N was chosen on finance train
cross-validation and the reviews dev part (benchmarks/cv_train.py --sweep). Writes word counts per class (words
seen in at least two texts; no text) and the weights. Deterministic: the same data gives the same file.
"""
import argparse
import json
import random
from collections import Counter
from dataclasses import dataclass

from datasets import REPO, data_dir, finnsp, reviews

from bot.analysis.pipeline import Analyzer, Document, Signals
from bot.analysis.sentiment import FEATURES, MODEL_FILE, BayesTable, SentimentModel, sigmoid
from bot.config.analysis import AnalysisConfig

MIN_COUNT = 2
FOLDS = 5
L2 = 1e-3
STEPS = 600
RATE = 0.5
LOGISTIC_REVIEWS = 1000    # review rows the logistic layer also sees (every n-th of the train part); chosen by
                           # cv_train.py --sweep on finance train CV and the reviews dev part (docs/analysis.md)

Sample = tuple[tuple[str, ...], bool]


@dataclass
class Corpus:
    """Training rows: their Bayes words and label, and the signals the logistic layer reads."""

    samples: list[Sample]
    sigs: list[Signals]


def counts(samples: list[Sample]) -> tuple[Counter, Counter]:
    neg: Counter = Counter()
    pos: Counter = Counter()
    for words, negative in samples:
        (neg if negative else pos).update(words)
    return neg, pos


def merged(parts: list[tuple[Counter, Counter]], seen: Counter) -> tuple[dict[str, float], dict[str, float]]:
    """Summed counts, keeping words that occur in at least MIN_COUNT texts."""
    neg, pos = _sum(parts)
    keep = sorted(w for w, c in seen.items() if c >= MIN_COUNT)
    return {w: neg[w] for w in keep if neg[w]}, {w: pos[w] for w in keep if pos[w]}


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


@dataclass(frozen=True)
class Fitted:
    """Both tables' counts and the logistic weights: what the model file holds."""

    neg: dict
    pos: dict
    review_neg: dict
    review_pos: dict
    weights: list[float]

    def model(self) -> SentimentModel:
        review = {"neg": self.review_neg, "pos": self.review_pos} if self.review_neg or self.review_pos else None
        return SentimentModel(BayesTable.from_counts(self.neg, self.pos), self.weights, self.neg, self.pos, (),
                              BayesTable.from_counts(self.review_neg, self.review_pos) if review else None, review)


def _table(samples: list[Sample]) -> tuple[dict, dict]:
    return merged([counts(samples)], occurrences(samples))


def _folds(rows: list[int], seed: int) -> list[list[int]]:
    order = list(rows)
    random.Random(seed).shuffle(order)
    return [order[k::FOLDS] for k in range(FOLDS)]


def fit(fin: Corpus, idx: list[int], rev: Corpus | None = None, logistic_reviews: int = LOGISTIC_REVIEWS) -> Fitted:
    """The finance table from the finance rows `idx`, the review table from every review row, and the logistic
    layer on 5-fold out-of-fold scores of both (each row scored by the table it did not help build): the finance
    rows and every n-th review row, about `logistic_reviews` of them. Shared by main() and benchmarks/cv_train.py,
    so cross-validation measures exactly the shipped procedure."""
    fin_folds = _folds(idx, 2019)
    fin_all = BayesTable.from_counts(*_table([fin.samples[i] for i in idx]))
    rev_rows = list(range(len(rev.samples))) if rev is not None else []
    rev_folds = _folds(rev_rows, 2020)
    rev_all = BayesTable.from_counts(*_table([rev.samples[i] for i in rev_rows])) if rev is not None else None
    step = max(1, len(rev_rows) // logistic_reviews) if logistic_reviews else 0
    xs: list[list[float]] = []
    ys: list[bool] = []
    for k in range(FOLDS):
        fin_k = BayesTable.from_counts(*_table([fin.samples[i] for j, f in enumerate(fin_folds) if j != k for i in f]))
        for i in fin_folds[k]:
            words = fin.samples[i][0]
            xs.append(fin.sigs[i].features((fin_k.log_odds(words), rev_all.log_odds(words) if rev_all else 0.0)))
            ys.append(fin.samples[i][1])
        if rev is None or not step:
            continue
        rev_k = BayesTable.from_counts(*_table([rev.samples[i] for j, f in enumerate(rev_folds) if j != k for i in f]))
        for i in rev_folds[k]:
            if i % step:
                continue
            words = rev.samples[i][0]
            xs.append(rev.sigs[i].features((fin_all.log_odds(words), rev_k.log_odds(words))))
            ys.append(rev.samples[i][1])
    weights = fit_logistic(xs, ys)
    neg, pos = _table([fin.samples[i] for i in idx])
    rneg, rpos = _table([rev.samples[i] for i in rev_rows]) if rev is not None else ({}, {})
    return Fitted(neg, pos, rneg, rpos, weights)


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data")
    ap.add_argument("--logistic-reviews", type=int, default=LOGISTIC_REVIEWS)
    args = ap.parse_args()
    fin, rev = load(args.data)
    fitted = fit(fin, list(range(len(fin.samples))), rev, args.logistic_reviews)
    model = fitted.model().to_dict(
        "finance sentiment for yuqing: snownlp-style Bayes word counts (finance; consumer reviews) + logistic "
        "combiner weights; fitted by benchmarks/train_sentiment.py on finnsp-bdci2019 train_list.json "
        "(BBT-FinCUGE-Applications, commit 654d132) and the train part of SophonPlus ChineseNlpCorpus reviews "
        f"(commit a0b781d), {args.logistic_reviews} review rows in the logistic layer; provenance in docs/analysis.md")
    out = REPO / "bot" / "analysis" / "data" / MODEL_FILE
    out.write_text(json.dumps(model, ensure_ascii=False, sort_keys=True, separators=(",", ":")), encoding="utf-8")
    print(f"{len(fin.samples)} finance + {len(rev.samples) if rev else 0} review rows, {len(fitted.neg)} + "
          f"{len(fitted.pos)} finance and {len(fitted.review_neg)} + {len(fitted.review_pos)} review word counts, "
          f"weights {dict(zip(FEATURES, fitted.weights))}")
    print(f"wrote {out.relative_to(REPO)} ({out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
