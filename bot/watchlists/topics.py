"""Company risk topics in the analysis: what a borrower's or a partner's news is read for (违约, 被执行 …).

The lender's own brands are read with the consumer-finance topics (bot/analysis/data/topics.yaml); a watched
company is read with these as well, and when one of them is found it leads: the incident's event is the
company topic (a borrower's 「逾期」 is its own default, not a complaint about a lender's collection).
"""
from dataclasses import replace
from functools import lru_cache

from bot.analysis.pipeline import Analysis, Analyzer, Document, TopicHit
from bot.analysis.segment import normalise
from bot.analysis.topics import Lexicon
from bot.watchlists.severity import company_topics


@lru_cache(maxsize=1)
def _lexicon() -> Lexicon:
    return Lexicon(company_topics().words)


def with_company_topics(analyzer: Analyzer, doc: Document, a: Analysis) -> Analysis:
    """The analysis with the company topics found in the document in place of the others (negated hits left out)."""
    lexicon = _lexicon()
    if not lexicon.match(normalise(f"{doc.title}\n{doc.text}")).words:
        return a  # no company topic word at all: no need to segment again for negation
    text, sig = analyzer.signals(doc)
    found = lexicon.match(text, sig.tokens, sig.negated).words
    if not found:
        return a
    # only the company topics: the event key must name the company's trouble, whichever lexicon saw more words
    return replace(a, topics=tuple(TopicHit(name, found[name]) for name in company_topics().names if name in found))
