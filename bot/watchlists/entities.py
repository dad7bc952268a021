"""The watched entities as the rest of the bot sees them: extra names for the analysis, a route per kind,
a label and an owner for the card."""
from typing import TYPE_CHECKING

from bot.config import Config
from bot.config.analysis import BrandSpec
from bot.config.watchlist import COMPANY_KINDS, KIND_LABELS, WatchedEntity

if TYPE_CHECKING:
    from bot.analysis.pipeline import Analysis


def names_to_match(config: Config) -> list[BrandSpec]:
    """The lender's brands and every watched entity: one matcher finds them all, by the same rules."""
    return [*config.brands, *config.watchlist.entities]


def entity_of(config: Config, brand: str) -> WatchedEntity | None:
    """The watched entity an incident is about, None for the lender's own brand."""
    return config.watchlist.entity(brand)


def names_company(config: Config, a: "Analysis") -> bool:
    """Whether the analysis found a watched borrower or partner."""
    return any((e := config.watchlist.entity(b.name)) is not None and e.kind in COMPANY_KINDS for b in a.brands)


def kind_route(config: Config, brand: str) -> dict[str, list[str]] | None:
    """`watchlist.routes.<kind>` for a watched entity's incidents (grade|default → chat names), else None."""
    e = entity_of(config, brand)
    return config.watchlist.routes.get(e.kind) if e is not None else None


def entity_label(config: Config, brand: str) -> str | None:
    """「借款企业」, 「高管 · 重点」 … for the card, None for the lender's own brand."""
    e = entity_of(config, brand)
    if e is None:
        return None
    return KIND_LABELS[e.kind] + (" · 重点" if e.tier == "key" else "")


def entity_owner(config: Config, brand: str) -> tuple[str, ...]:
    """The owner's open_id (the account manager …) to @-mention on the entity's cards."""
    e = entity_of(config, brand)
    return (e.owner,) if e is not None and e.owner else ()


def find_entity(config: Config, word: str) -> WatchedEntity | None:
    """The watched entity named `word` by its name or one of its aliases."""
    w = word.strip()
    return next((e for e in config.watchlist.entities if w == e.name or w in e.aliases), None)
