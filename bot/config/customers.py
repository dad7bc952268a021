"""Config of customer tiers: who the lender's VIP customers and important partners are (names, handles and
account ids as they appear in posts — shown in the crisis chats only, never logged or served), and what a post
by or about one of them does to an incident."""
from typing import Literal

from pydantic import Field, field_validator, model_validator

from bot.config.base import OpenId, Strict

TIERS = ("vip", "important_partner", "ordinary")
TIER_LABELS = {"vip": "VIP 客户", "important_partner": "重要合作客户", "ordinary": "普通客户"}


class TierRule(Strict):
    """What a tier does: raise the incident's grade one step, send its card to a chat too."""

    raise_grade: bool = False
    chat: str | None = None  # a name under alerting.chats


class Customer(Strict):
    name: str = Field(min_length=1)
    tier: Literal["vip", "important_partner", "ordinary"] = "vip"
    handles: list[str] = []   # 微博昵称, 社群昵称 … as they appear as a post's author or in its text
    accounts: list[str] = []  # account or card ids as they appear in posts
    manager: OpenId | None = None  # the relationship manager's open_id, @-mentioned on the incident's cards

    @field_validator("handles", "accounts")
    @classmethod
    def _no_blank(cls, v: list[str]) -> list[str]:
        if any(not s.strip() for s in v):
            raise ValueError("must not contain empty names")
        return v


    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.handles, *self.accounts)


DEFAULT_TIERS = {"vip": TierRule(raise_grade=True)}


def check_customers(customers: list[Customer], tiers: dict[str, TierRule], chats: dict[str, str]) -> None:
    """Cross-checks of `customers` and `customer_tiers`; raises ValueError naming the key."""
    for tier, rule in tiers.items():
        if tier not in TIERS:
            raise ValueError(f"customer_tiers.{tier}: unknown tier, use one of {', '.join(TIERS)}")
        if rule.chat is not None and rule.chat not in chats:
            raise ValueError(f"customer_tiers.{tier}.chat: chat {rule.chat!r} is not defined under alerting.chats")
    seen: dict[str, int] = {}
    for i, c in enumerate(customers):
        for n in c.names:
            if seen.get(n, i) != i:
                raise ValueError(f"customers[{i}]: {n!r} also names customers[{seen[n]}]")
            seen[n] = i
