"""What happens to newly stored items: find the brands they name and open incidents (with their alerts).

Every path that stores items — scheduled scans, `yuqing import`, the push webhook — calls `accept_items`
in the same transaction that stored them.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.config import Config
from bot.config.analysis import BrandSpec
from bot.incidents.service import IncidentService
from bot.models import Item


@dataclass
class Accepted:
    matched: int = 0
    incidents: int = 0


def mentioned_brands(brands: list[BrandSpec], text: str) -> list[str]:
    """Brands named in the text (name or alias), unless an exclusion context is there too."""
    found = []
    for brand in brands:
        if any(name and name in text for name in (brand.name, *brand.aliases)):
            if not any(ex in text for ex in brand.exclude):
                found.append(brand.name)
    return found


def accept_items(session: Session, config: Config, source_name: str, items: list[Item], now: datetime) -> Accepted:
    """Analyse freshly stored items (already flushed, in the caller's transaction) and alert on matches."""
    result = Accepted()
    service = IncidentService(config)
    for item in items:
        brands = mentioned_brands(config.brands, f"{item.title}\n{item.text}")
        item.brands = brands
        if brands:
            result.matched += 1
            service.open_for_item(session, item, brands[0], source_name, now)
            result.incidents += 1
    return result
