"""Refit the finance sentiment model shipped in bot/analysis/data/sentiment_model.json.

    .venv/bin/python benchmarks/train_sentiment.py [--data DIR] [--hot-lists DIR] [--logistic-reviews N]

Reads finnsp-bdci2019 train_list.json, the train part of reviews-sophonplus (a fixed 7 tenths by text hash;
benchmarks/datasets.py) and the labelled train part of the finance hot-list headlines (benchmarks/complaint_dev/
train_labels.csv, texts from the archives' snapshots), never their eval / dev / held-out parts. Two Bayes tables:
finance text (FinNSP train plus the train headlines, each headline's words counted HEADLINE_WEIGHT times), and the
everyday complaint language of consumer reviews (垃圾, 太坑了, 客服不理人); each is one input of the logistic
layer, which is fitted on out-of-fold scores (5 folds) of the finance rows, about N review rows and (when
HEADLINE_LOGISTIC > 0) the headline rows, so it trusts neither an overfitted score nor the shopping register more
than the finance data supports. N and the headline weights were chosen on finance train cross-validation, headline
train cross-validation and the reviews dev part (benchmarks/cv_train.py). Writes word counts per class (words seen
in at least two texts; no text) and the weights. Deterministic: the same data gives the same file.
"""
import argparse
import json
import random
from collections import Counter
from dataclasses import dataclass

from datasets import REPO, complaint_train, data_dir, finnsp, hot_lists_dir, reviews

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
HEADLINE_WEIGHT = 2        # each train headline's words count this many times in the finance table; chosen by
                           # cv_train.py on headline train CV with finance train CV >= 0.958 (docs/analysis.md)
HEADLINE_LOGISTIC = 0.0    # weight of each train headline's row in the logistic layer (0: not a row); rows cost
                           # recall on headlines and reviews in the same sweep

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


def fit_logistic(xs: list[list[float]], ys: list[bool], weights: list[float] | None = None) -> list[float]:
    """Plain batch gradient descent with a little L2 (each row weighted, default 1); 9 features need nothing more."""
    ws = weights or [1.0] * len(xs)
    total = sum(ws)
    w = [0.0] * len(xs[0])
    for _ in range(STEPS):
        grad = [0.0] * len(w)
        for x, y, sw in zip(xs, ys, ws):
            err = (sigmoid(sum(a * b for a, b in zip(w, x))) - y) * sw
            for j, xj in enumerate(x):
                grad[j] += err * xj
        w = [wj - RATE * (g / total + L2 * wj) for wj, g in zip(w, grad)]
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


def _table(samples: list[Sample], extra: list[Sample] = (), weight: int = 1) -> tuple[dict, dict]:
    """Counts of `samples`, plus each of `extra` counted `weight` times (words kept by their texts in both)."""
    neg, pos = counts(samples)
    eneg, epos = counts(list(extra))
    return merged([(neg, pos), (_times(eneg, weight), _times(epos, weight))], occurrences(list(samples) + list(extra)))


def _times(c: Counter, weight: int) -> Counter:
    return Counter({w: n * weight for w, n in c.items()})


def _folds(rows: list[int], seed: int) -> list[list[int]]:
    order = list(rows)
    random.Random(seed).shuffle(order)
    return [order[k::FOLDS] for k in range(FOLDS)]


@dataclass(frozen=True)
class Headlines:
    """The labelled train headlines and how they enter: their words in the finance table (`weight` times each) and
    their rows in the logistic layer (each weighted `logistic`; 0 leaves them out)."""

    corpus: Corpus
    idx: list[int]
    weight: int = HEADLINE_WEIGHT
    logistic: float = HEADLINE_LOGISTIC

    def samples(self, rows: list[int] | None = None) -> list[Sample]:
        return [self.corpus.samples[i] for i in (self.idx if rows is None else rows)]


def fit(fin: Corpus, idx: list[int], rev: Corpus | None = None, logistic_reviews: int = LOGISTIC_REVIEWS,
        head: Headlines | None = None) -> Fitted:
    """The finance table from the finance rows `idx` (and the train headlines `head.idx`, weighted), the review
    table from every review row, and the logistic layer on 5-fold out-of-fold scores (each row scored by tables it
    did not help build): the finance rows, every n-th review row (about `logistic_reviews` of them) and the
    headline rows. Shared by main() and benchmarks/cv_train.py, so cross-validation measures exactly the shipped
    procedure."""
    fin_folds = _folds(idx, 2019)
    head_folds = _folds(head.idx, 2021) if head else [[] for _ in range(FOLDS)]
    weight = head.weight if head else 0
    fin_rows = [fin.samples[i] for i in idx]
    fin_all = BayesTable.from_counts(*_table(fin_rows, head.samples() if head else [], weight))
    rev_rows = list(range(len(rev.samples))) if rev is not None else []
    rev_folds = _folds(rev_rows, 2020)
    rev_all = BayesTable.from_counts(*_table([rev.samples[i] for i in rev_rows])) if rev is not None else None
    step = max(1, len(rev_rows) // logistic_reviews) if logistic_reviews else 0
    xs: list[list[float]] = []
    ys: list[bool] = []
    ws: list[float] = []

    def row(sig: Signals, bayes: tuple[float, float], gold: bool, w: float) -> None:
        xs.append(sig.features(bayes))
        ys.append(gold)
        ws.append(w)

    for k in range(FOLDS):
        fin_k = BayesTable.from_counts(*_table(
            [fin.samples[i] for j, f in enumerate(fin_folds) if j != k for i in f],
            head.samples([i for j, f in enumerate(head_folds) if j != k for i in f]) if head else [], weight))
        for i in fin_folds[k]:
            words = fin.samples[i][0]
            row(fin.sigs[i], (fin_k.log_odds(words), rev_all.log_odds(words) if rev_all else 0.0), fin.samples[i][1],
                1.0)
        if head and head.logistic:
            for i in head_folds[k]:
                words = head.corpus.samples[i][0]
                row(head.corpus.sigs[i], (fin_k.log_odds(words), rev_all.log_odds(words) if rev_all else 0.0),
                    head.corpus.samples[i][1], head.logistic)
        if rev is None or not step:
            continue
        rev_k = BayesTable.from_counts(*_table([rev.samples[i] for j, f in enumerate(rev_folds) if j != k for i in f]))
        for i in rev_folds[k]:
            if i % step:
                continue
            words = rev.samples[i][0]
            row(rev.sigs[i], (fin_all.log_odds(words), rev_k.log_odds(words)), rev.samples[i][1], 1.0)
    weights = fit_logistic(xs, ys, ws)
    neg, pos = _table(fin_rows, head.samples() if head else [], weight)
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


def load_headlines(option: str | None) -> Corpus:
    """The labelled, in-scope headlines of the finance set's train part, with their signals."""
    items = complaint_train(hot_lists_dir(option))
    analyzer = Analyzer([], AnalysisConfig(), model=None)
    return corpus_of(analyzer, [Document(id=it.key, title="", text=it.headline.text) for it in items],
                     [it.negative for it in items])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data")
    ap.add_argument("--hot-lists")
    ap.add_argument("--logistic-reviews", type=int, default=LOGISTIC_REVIEWS)
    args = ap.parse_args()
    fin, rev = load(args.data)
    heads = load_headlines(args.hot_lists)
    fitted = fit(fin, list(range(len(fin.samples))), rev, args.logistic_reviews,
                 Headlines(heads, list(range(len(heads.samples)))))
    model = fitted.model().to_dict(
        "finance sentiment for yuqing: snownlp-style Bayes word counts (finance; consumer reviews) + logistic "
        "combiner weights; fitted by benchmarks/train_sentiment.py on finnsp-bdci2019 train_list.json "
        "(BBT-FinCUGE-Applications, commit 654d132) and the train part of SophonPlus ChineseNlpCorpus reviews "
        f"(commit a0b781d), {args.logistic_reviews} review rows in the logistic layer, and the labelled train part of "
        f"the finance hot-list headlines ({len(heads.samples)}, words counted {HEADLINE_WEIGHT} times, logistic row "
        f"weight {HEADLINE_LOGISTIC:g}); provenance in docs/analysis.md")
    out = REPO / "bot" / "analysis" / "data" / MODEL_FILE
    out.write_text(json.dumps(model, ensure_ascii=False, sort_keys=True, separators=(",", ":")), encoding="utf-8")
    print(f"{len(fin.samples)} finance + {len(heads.samples)} headline + {len(rev.samples) if rev else 0} review rows, "
          f"{len(fitted.neg)} + "
          f"{len(fitted.pos)} finance and {len(fitted.review_neg)} + {len(fitted.review_pos)} review word counts, "
          f"weights {dict(zip(FEATURES, fitted.weights))}")
    print(f"wrote {out.relative_to(REPO)} ({out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
