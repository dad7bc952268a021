"""Learning from the team's labels (pure): the shipped word counts plus the labelled texts, and the scores of a
model on labelled texts. `bot/training.py` reads the labels from the database and stores the result."""
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

from bot.analysis.pipeline import Analyzer, Document
from bot.analysis.sentiment import BayesTable, SentimentModel


@dataclass(frozen=True)
class Labelled:
    text: str
    negative: bool


@dataclass(frozen=True)
class Scores:
    """Negative-class figures of a model on labelled texts."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def accuracy(self) -> float:
        n = self.tp + self.fp + self.fn + self.tn
        return (self.tp + self.tn) / n if n else 0.0

    def as_dict(self) -> dict:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn, "precision": round(self.precision, 3),
                "recall": round(self.recall, 3), "f1": round(self.f1, 3), "accuracy": round(self.accuracy, 3)}


def _doc(text: str) -> Document:
    return Document(id="label", title="", text=text)


# a word becomes a learned risk word when this many missed negatives use it, no false positive does, and the
# shipped corpus rarely saw it (common words such as 用户 never qualify)
RISK_MIN_TEXTS = 3
RISK_MAX_BASE_COUNT = 30.0


def add_labels(analyzer: Analyzer, base: SentimentModel, labelled: Iterable[Labelled], weight: float) -> SentimentModel:
    """The base model's word counts plus each labelled text's words counted `weight` times (combiner kept), and
    the words the team's negatives share that the base model hardly knows, as learned risk words: the combiner
    trusts risk words far more than Bayes log-odds, so new complaint slang needs both."""
    if base.neg is None or base.pos is None:
        raise ValueError("the base model keeps no word counts")
    neg, pos = Counter(base.neg), Counter(base.pos)
    in_neg: Counter = Counter()
    in_pos: set[str] = set()
    for ex in labelled:
        words = [w for w in analyzer.signals(_doc(ex.text))[1].bayes_words if not w.startswith("!")]
        (neg if ex.negative else pos).update({w: weight for w in words})
        if ex.negative:
            in_neg.update(set(words))
        else:
            in_pos.update(words)
    learned = tuple(sorted(w for w, n in in_neg.items() if n >= RISK_MIN_TEXTS and w not in in_pos
                           and not w.isdigit() and base.neg.get(w, 0) + base.pos.get(w, 0) <= RISK_MAX_BASE_COUNT))
    neg_d = {w: round(c, 3) for w, c in neg.items()}
    pos_d = {w: round(c, 3) for w, c in pos.items()}
    return SentimentModel(BayesTable.from_counts(neg_d, pos_d), list(base.weights), neg_d, pos_d, learned,
                          base.review, base.review_counts)


def score(analyzer: Analyzer, model: SentimentModel, labelled: Iterable[Labelled]) -> Scores:
    """How the analyzer with this model decides the labelled texts."""
    scoring = analyzer.with_model(model)
    tp = fp = fn = tn = 0
    for ex in labelled:
        pred = scoring.analyze(_doc(ex.text)).negative
        tp += pred and ex.negative
        fp += pred and not ex.negative
        fn += ex.negative and not pred
        tn += not pred and not ex.negative
    return Scores(tp, fp, fn, tn)
