"""Company risk topics: what a borrower's or a partner's news is read for (违约, 被执行, 破产重整 …).

The lender's own brands are read with the consumer-finance topics (bot/analysis/data/topics.yaml); a watched
company is read with these as well, and when one of them is found it leads: the incident's event is the
company topic (a borrower's 「逾期」 is its own default, not a complaint about a lender's collection).
"""
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import yaml

from bot.analysis.pipeline import Analysis, Analyzer, Document, TopicHit
from bot.analysis.topics import Lexicon

TOPICS_FILE = Path(__file__).with_name("company_topics.yaml")
# a topic outside this table (the consumer-finance ones) counts as this severe in the risk index
OTHER_SEVERITY = 0.5


@dataclass(frozen=True)
class CompanyTopics:
    words: dict[str, list[str]]
    severity: dict[str, float]

    @classmethod
    @lru_cache(maxsize=1)
    def shipped(cls) -> "CompanyTopics":
        raw = yaml.safe_load(TOPICS_FILE.read_text(encoding="utf-8"))
        return cls({k: list(v["words"]) for k, v in raw.items()}, {k: float(v["severity"]) for k, v in raw.items()})

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.words)


@lru_cache(maxsize=1)
def _lexicon() -> Lexicon:
    return Lexicon(CompanyTopics.shipped().words)


def severity(topic: str) -> float:
    """How severe a topic is for a lender: the company topics' own weight, else OTHER_SEVERITY."""
    return CompanyTopics.shipped().severity.get(topic, OTHER_SEVERITY)


def with_company_topics(analyzer: Analyzer, doc: Document, a: Analysis) -> Analysis:
    """The analysis with the company topics found in the document first (negated hits left out)."""
    text, sig = analyzer.signals(doc)
    found = _lexicon().match(text, sig.tokens, sig.negated).words
    if not found:
        return a
    order = CompanyTopics.shipped().names
    hits = tuple(TopicHit(name, found[name]) for name in order if name in found)
    # only the company topics: the event key must name the company's trouble, whichever lexicon saw more words
    return replace(a, topics=hits)
