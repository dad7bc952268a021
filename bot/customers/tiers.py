"""Customer tiers in the incident flow: which customer a post is by or about, what that does to the grade
(one step up, with the reason on the card), the chat the tier names and the relationship manager to mention.

A post is by a customer when its author is one of the customer's names, handles or account ids, and about
one when its text names one of them (matched like a brand: an id must stand alone, 「13600」 is not 「360」). The
highest tier an incident's posts touch is kept on the incident.
"""
from dataclasses import replace

from bot.analysis.brands import Brand, BrandMatcher
from bot.analysis.grading import GradeDecision
from bot.analysis.segment import normalise
from bot.config import Config
from bot.config.customers import TIER_LABELS, TIERS, Customer
from bot.grades import Grade
from bot.models import Incident

RANK = {t: len(TIERS) - i for i, t in enumerate(TIERS)}  # vip highest


class CustomerMatcher:
    def __init__(self, customers: list[Customer]):
        self._by_name = {normalise(n).strip(): c for c in customers for n in c.names}
        self._by_key = {c.name: c for c in customers}
        self._text = BrandMatcher(Brand(c.name, (*c.handles, *c.accounts)) for c in customers)

    def find(self, author: str | None, text: str) -> Customer | None:
        """The highest-tier customer the post is by or about, or None."""
        found = [self._by_name[a]] if author and (a := normalise(author).strip()) in self._by_name else []
        found += [self._by_key[m.brand] for m in self._text.mentions(normalise(text))]
        return max(found, key=lambda c: RANK[c.tier], default=None)


_matchers: dict[int, tuple[Config, CustomerMatcher]] = {}


def customer_of_post(config: Config, author: str | None, text: str) -> Customer | None:
    """The highest-tier configured customer the post is by or about (the matcher is built once per config)."""
    if not config.customers:
        return None
    entry = _matchers.get(id(config))
    if entry is None or entry[0] is not config:
        entry = _matchers[id(config)] = (config, CustomerMatcher(config.customers))
    return entry[1].find(author, text)


def mark(incident: Incident, customer: Customer) -> bool:
    """Keep the highest-tier customer on the incident; True if it changed."""
    if incident.customer_tier is not None and RANK[incident.customer_tier] >= RANK[customer.tier]:
        return False
    incident.customer, incident.customer_tier = customer.name, customer.tier
    return True


def bump(config: Config, incident: Incident, negative_count: int, d: GradeDecision) -> GradeDecision:
    """One grade up for a tier that raises (轻微 for a negative story below the 轻微 heat), with the reason."""
    if incident.customer_tier is None or not config.customer_tiers.get(incident.customer_tier, None) \
            or not config.customer_tiers[incident.customer_tier].raise_grade or negative_count == 0:
        return d
    order = list(Grade)
    up = Grade.MINOR if d.grade is None else order[min(order.index(d.grade) + 1, len(order) - 1)]
    why = f"{TIER_LABELS[incident.customer_tier]}相关（{incident.customer}）：等级上调一级 → {up.value}"
    return replace(d, grade=up, reasons=(*d.reasons, why))
