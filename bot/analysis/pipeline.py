"""The analysis of one item: brands, rules, topics, sentiment and SimHash, from one normalisation and one
segmentation. `Analyzer.from_config` does the expensive set-up once; `analyze` is pure and fast."""
from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from bot.analysis.grading import IncidentItem
from bot.analysis.brands import Brand, BrandMatcher, BrandMention, default_organisations
from bot.analysis.negation import negated_indices
from bot.analysis.rules import RuleSet
from bot.analysis.segment import Segmenter, Tokens, get_segmenter, read_word_list
from bot.analysis.textform import normalise
from bot.analysis.sentiment import MASK, SentimentModel, bayes_features, combiner_features, decide
from bot.analysis.simhash import simhash, simhash_features
from bot.analysis.stance import Stance, stance
from bot.analysis.topics import Lexicon, LexiconHits, merged_topics
from bot.config.analysis import AnalysisConfig, BrandSpec


@dataclass(frozen=True)
class Metrics:
    views: int = 0
    reposts: int = 0
    comments: int = 0
    likes: int = 0

    @property
    def engagement(self) -> int:
        """Interactions, with views discounted (a view is worth a hundredth of a repost)."""
        return self.reposts + self.comments + self.likes + self.views // 100


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    text: str
    source: str = ""
    platform: str = "other"
    authority: float = 1.0
    published_at: datetime | None = None
    metrics: Metrics = Metrics()
    brands: tuple[str, ...] | None = None  # look for these names instead of the configured brands
    target: str = ""  # who a complaint record is about (a complaint platform's 投诉对象), if the source says
    author: str = ""


@dataclass(frozen=True)
class BrandHit:
    name: str
    negative: bool
    matched: str


@dataclass(frozen=True)
class TopicHit:
    name: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class Analysis:
    brands: tuple[BrandHit, ...]
    negative: bool
    sentiment: float  # probability of positive, 0..1
    topics: tuple[TopicHit, ...]
    rules: tuple[str, ...]
    risk_score: float  # probability of negative for a relevant item, 0 for an irrelevant one
    simhash: int
    risk_words: tuple[str, ...] = ()
    regulators: tuple[str, ...] = ()
    complaint_words: tuple[str, ...] = ()
    excused: tuple[str, ...] = ()  # why some risk words did not count (stance.py), e.g. 公司声明或修复

    @property
    def relevant(self) -> bool:
        return bool(self.brands)

    @property
    def lead_brand(self) -> str:
        """The brand an incident is about: the first one the item is negative about, else the first named."""
        return next((b.name for b in self.brands if b.negative), self.brands[0].name)

    def negative_about(self, brand: str) -> bool:
        return any(b.negative for b in self.brands if b.name == brand)

    def incident_item(self, doc: "Document", seen: datetime) -> IncidentItem:
        """What grading counts of this item, in the incident of its lead brand."""
        return IncidentItem(published_at=seen, source=doc.source, platform=doc.platform, authority=doc.authority,
                            engagement=doc.metrics.engagement, negative=self.negative_about(self.lead_brand),
                            regulators=self.regulators, author=doc.author or None)

    @property
    def event_key(self) -> str:
        """The main risk topic (most evidence words, then config order), or 其他."""
        if not self.topics:
            return "其他"
        return max(self.topics, key=lambda t: len(t.words)).name


@dataclass(frozen=True)
class Signals:
    """Everything measured on a text before the sentiment model is applied (also what training reads)."""

    mentions: tuple[BrandMention, ...]
    tokens: Tokens
    negated: frozenset[int]
    bayes_words: tuple[str, ...]
    risk: LexiconHits
    near_risk: int
    near_brands: frozenset[str]
    complaint: LexiconHits
    stance: Stance
    target: frozenset[str]  # brands named by the record's target field

    def features(self, bayes: tuple[float, float]) -> list[float]:
        """The logistic layer's inputs for this text, given its finance and review Bayes log-odds."""
        return combiner_features(bayes[0], bayes[1], self.risk.count(), len(self.risk.negated), self.near_risk,
                                 bool(self.mentions))


# Analysis reads at most this much of an item's text: a long article says what it is about well before this,
# and a pasted 2 MB dump must not hold the scan for minutes. The item itself is stored whole.
MAX_TEXT_CHARS = 10_000


def _full_text(doc: Document) -> str:
    title, text = doc.title.strip()[:MAX_TEXT_CHARS], doc.text[:MAX_TEXT_CHARS]
    return text if not title or title in text else f"{title}\n{text}"


def _near(starts: list[int], points: list[int], window: int) -> list[int]:
    """The starts within `window` of some point (points sorted): a bisect each, not a scan of every pair."""
    out = []
    for s in starts:
        i = bisect_left(points, s - window)
        if i < len(points) and points[i] <= s + window:
            out.append(s)
    return out


class Analyzer:
    def __init__(self, brands: list[Brand], config: AnalysisConfig, model: SentimentModel | None):
        self.config = config
        self._brands = {b.name: b for b in brands}
        self._organisations = tuple(default_organisations()) + tuple(config.organisations)
        self._matcher = BrandMatcher(brands, self._organisations)
        self._segmenter: Segmenter = get_segmenter(self._matcher.words)
        self._rules = RuleSet([(r.name, r.expr) for r in config.rules])
        topic_words = merged_topics(config.topics)
        self._topic_order = tuple(topic_words)
        self._topics = Lexicon(topic_words)
        complaint_words = read_word_list("complaint_words.txt")
        risk_words = (read_word_list("risk_words.txt") + complaint_words + list(config.sentiment.extra_risk_words)
                      + list(model.risk_words if model else ()))
        self._risk = Lexicon({"risk": risk_words})
        self._complaint_words = frozenset(normalise(w) for w in complaint_words)
        self._praise = Lexicon({"praise": read_word_list("praise_words.txt")})
        self._regulators = Lexicon({"regulator": list(config.grading.regulator_words)})
        self._model = model

    @classmethod
    def from_config(cls, brands: list[BrandSpec], config: AnalysisConfig,
                    model: SentimentModel | None = None) -> "Analyzer":
        """Build once per process: loads jieba, the lexicons and the sentiment model (the shipped one by default)."""
        specs = [Brand(b.name, tuple(b.aliases), tuple(b.exclude)) for b in brands]
        return cls(specs, config, model or SentimentModel.load())

    def with_model(self, model: SentimentModel) -> "Analyzer":
        """The same brands and config, scoring with another model (and its learned risk words)."""
        return Analyzer(list(self._brands.values()), self.config, model)

    @lru_cache(maxsize=1024)
    def _matcher_for(self, names: tuple[str, ...]) -> BrandMatcher:
        return BrandMatcher((self._brands.get(n, Brand(n)) for n in names), self._organisations)

    @property
    def matcher(self) -> BrandMatcher:
        """The configured brands' matcher (`yuqing brands test` explains its decisions)."""
        return self._matcher

    def signals(self, doc: Document) -> tuple[str, Signals]:
        """The normalised text and what was measured on it."""
        text = normalise(_full_text(doc))
        matcher = self._matcher if doc.brands is None else self._matcher_for(tuple(doc.brands))
        mentions = tuple(matcher.mentions(text))
        masked = text
        if mentions:
            chars = list(text)
            for m in mentions:
                chars[m.start:m.end] = MASK * (m.end - m.start)
            masked = "".join(chars)
        tokens = self._segmenter.cut(masked)
        st = stance(text, tokens)
        negated = negated_indices(tokens) | st.excused
        risk = self._risk.match(text, tokens, negated)
        # complaint phrases are risk words too: read them off the risk hits instead of scanning again
        said = [w for w in risk.words.get("risk", ()) if w in self._complaint_words]
        complaint = LexiconHits({"complaint": tuple(said)} if said else {}, (), ())
        target = frozenset(m.brand for m in matcher.mentions(normalise(doc.target))) if doc.target else frozenset()
        window = self.config.sentiment.brand_context_chars
        near = _near(list(risk.starts), sorted(m.start for m in mentions), window)
        risk_starts = sorted(risk.starts)
        near_brands = frozenset(m.brand for m in mentions if _near([m.start], risk_starts, window))
        words = tuple(bayes_features(tokens, negated))
        return text, Signals(mentions, tokens, negated, words, risk, len(near), near_brands, complaint, st, target)

    def analyze(self, doc: Document) -> Analysis:
        """Analyse one document (pure: the same document always gives the same analysis)."""
        assert self._model is not None, "Analyzer built without a sentiment model"
        text, sig = self.signals(doc)
        p_neg = self._model.p_negative(sig.features(self._model.log_odds(sig.bayes_words)))
        complaint_platform = doc.platform == "complaint"
        praise = complaint_platform and bool(self._praise.match(text, sig.tokens, sig.negated).count())
        negative = decide(p_neg, sig.risk.count(), len(sig.risk.negated), sig.complaint.count(),
                          complaint_platform, praise, sig.stance.statement, self.config.sentiment)
        # the negative is about the record's target; else about the brands near risk words; else every brand named
        targets = sig.target or sig.near_brands or {m.brand for m in sig.mentions}
        hits: dict[str, BrandHit] = {}
        for name in sorted(sig.target):
            hits[name] = BrandHit(name, negative, doc.target.strip())
        for m in sig.mentions:
            hits.setdefault(m.brand, BrandHit(m.brand, negative and m.brand in targets, m.matched))
        topics = self._topics.match(text, sig.tokens, sig.negated).words
        regulators = self._regulators.match(text).words.get("regulator", ())
        return Analysis(
            brands=tuple(hits.values()),
            negative=negative,
            sentiment=round(1.0 - p_neg, 4),
            topics=tuple(TopicHit(name, topics[name]) for name in self._topic_order if name in topics),
            rules=self._rules.match(text),
            risk_score=round(p_neg, 4) if hits else 0.0,
            simhash=simhash(simhash_features(sig.bayes_words)),
            risk_words=sig.risk.words.get("risk", ()),
            regulators=regulators,
            complaint_words=sig.complaint.words.get("complaint", ()),
            excused=sig.stance.reasons,
        )
