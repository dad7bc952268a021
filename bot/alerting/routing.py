"""Routing: grade + brand → the chats a card goes to and who it @-mentions (pure).

A brand's own route (alerting.brand_routes.<brand>.<grade|default>) wins over a watched entity's kind route
(watchlist.routes.<kind>.<grade|default>, passed in as `kind_route`), which wins over the global one
(alerting.routes.<grade|default>); the chat an incident's customer tier names is added (`incident_chats`). Moderate and major incidents (alerting.mention_grades) mention the
members on call; major ones also the leads. Never @all: mentions come only from config open_ids.
"""
import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.config import Config
from bot.config.alerting import OPEN_ID, AlertingConfig
from bot.customers.routes import tier_chats
from bot.models import Incident
from bot.watchlists.entities import kind_route

_OPEN_ID = re.compile(OPEN_ID)


@dataclass(frozen=True)
class Route:
    chat_ids: tuple[str, ...]
    mentions: tuple[str, ...]


def chats_for(cfg: AlertingConfig, brand: str, grade: str | None,
              kind_route: Mapping[str, list[str]] | None = None) -> tuple[str, ...]:
    """The chat ids for this brand and grade, in config order, without repeats."""
    if kind_route and brand not in cfg.brand_routes:
        names = kind_route.get(grade or "") or kind_route.get("default")
        if names:
            return tuple(dict.fromkeys(cfg.chats[n] for n in names))
    return tuple(dict.fromkeys(cfg.chat_ids_for(grade, brand)))


def incident_chats(config: Config, inc: Incident) -> tuple[str, ...]:
    """Where an incident's cards go now: by its brand (or watched entity's kind) and current grade, plus the
    chat of its customer's tier."""
    routed = chats_for(config.alerting, inc.brand, inc.grade, kind_route(config, inc.brand))
    return tuple(dict.fromkeys(routed + tier_chats(config, inc)))


def mentions_for(cfg: AlertingConfig, grade: str | None, on_call: list[str],
                 leads: list[str] | None = None) -> tuple[str, ...]:
    """The open_ids to @-mention on a card of this grade: on call for mention grades, plus leads for 重大."""
    if grade not in cfg.mention_grades:
        return ()
    people = list(on_call) + (list(cfg.leads if leads is None else leads) if grade == "重大" else [])
    return tuple(p for p in dict.fromkeys(people) if _OPEN_ID.fullmatch(p))


def route(cfg: AlertingConfig, brand: str, grade: str | None, on_call: list[str],
          leads: list[str] | None = None, kind_route: Mapping[str, list[str]] | None = None) -> Route:
    return Route(chats_for(cfg, brand, grade, kind_route), mentions_for(cfg, grade, on_call, leads))
