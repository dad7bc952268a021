"""Config of the watchlist: entities watched besides the lender's own brands (products, executives, borrowers,
partners), where their incidents go, and the 舆情 risk index kept for each of them.

An entity is matched exactly like a brand (it is a `BrandSpec` with a kind, an owner and a tier), so every
matching rule brands have — aliases, exclusions — holds for it too.
"""
from typing import Literal

from pydantic import Field, model_validator

from bot.config.analysis import GRADE_NAMES, BrandSpec
from bot.config.base import OpenId, Strict

ENTITY_KINDS = ("product", "executive", "borrower", "partner")
KIND_LABELS = {"product": "产品", "executive": "高管", "borrower": "借款企业", "partner": "合作方"}
# companies: their incidents are read with the company risk topics (违约, 被执行, 破产重整 …)
COMPANY_KINDS = frozenset({"borrower", "partner"})
TIER_LABELS = {"key": "重点", "standard": "一般"}


class WatchedEntity(BrandSpec):
    """A watched name: matched like a brand, routed by its kind, owned by someone who is told about it."""

    kind: Literal["product", "executive", "borrower", "partner"]
    owner: OpenId | None = None
    tier: Literal["key", "standard"] = "standard"



class RiskConfig(Strict):
    """The daily 舆情 risk index per watched entity (formula in bot/risk/index.py and the README)."""

    # a rise of the index by at least this much over the day before alerts the entity's owner, once a day
    jump_threshold: float = Field(default=20.0, gt=0, le=100)
    # the chat the jump alert goes to (a name under alerting.chats); default: the entity's route
    chat: str | None = None
    # the environment variable holding the bearer token of GET /api/risk/{name}
    api_token_env: str = Field(default="YUQING_API_TOKEN", min_length=1)
    # how often `yuqing run` recomputes today's and yesterday's index (minutes)
    interval_minutes: int = Field(default=60, ge=5, le=1440)


class WatchlistConfig(Strict):
    """`watchlist.entities` and where their incidents go: `routes.<kind>.<grade|default>` → chat names."""

    entities: list[WatchedEntity] = []
    routes: dict[str, dict[str, list[str]]] = {}
    risk: RiskConfig = RiskConfig()

    @model_validator(mode="after")
    def _check(self) -> "WatchlistConfig":
        for kind, table in self.routes.items():
            if kind not in ENTITY_KINDS:
                raise ValueError(f"routes.{kind}: unknown kind, use one of {', '.join(ENTITY_KINDS)}")
            for key in table:
                if key != "default" and key not in GRADE_NAMES:
                    raise ValueError(f"routes.{kind}.{key}: unknown route, use default or one of "
                                     f"{', '.join(GRADE_NAMES)}")
        seen: dict[str, int] = {}
        for i, e in enumerate(self.entities):
            if e.name in seen:
                raise ValueError(f"entities[{i}].name: {e.name!r} is listed twice (first at entities[{seen[e.name]}])")
            seen[e.name] = i
        return self

    def entity(self, name: str) -> WatchedEntity | None:
        """The watched entity of this name (an incident's brand), or None for the lender's own brands."""
        return next((e for e in self.entities if e.name == name), None)
