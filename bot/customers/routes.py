"""Where a customer-related incident also goes and whom it mentions (no analysis imports: alerting reads it)."""
from bot.config import Config
from bot.models import Incident


def tier_chats(config: Config, incident: Incident) -> tuple[str, ...]:
    """The chat the incident's customer tier names, if any."""
    rule = config.customer_tiers.get(incident.customer_tier or "")
    return (config.alerting.chats[rule.chat],) if rule and rule.chat else ()


def manager_of(config: Config, incident: Incident) -> tuple[str, ...]:
    """The relationship manager of the incident's customer, to @-mention."""
    c = next((c for c in config.customers if c.name == incident.customer), None)
    return (c.manager,) if c and c.manager else ()
