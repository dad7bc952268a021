"""All tables; importing this package registers them on Base.metadata."""
from bot.models.chat_budget import ChatSendBudget
from bot.models.chatops import InboxEvent, ProcessedEvent, Silence, SilenceHold
from bot.models.delivery import Delivery
from bot.models import due as _due  # noqa: F401  (keeps the incidents' due times honest on every flush)
from bot.models.incident import Escalation, Incident, IncidentEvent, IncidentMessage
from bot.models.item import Item
from bot.models.job_lease import JobLease
from bot.models.label import Label, TrainedModel
from bot.models.member import Member
from bot.models.risk import EntityRisk
from bot.models.source import Source

__all__ = [
    "ChatSendBudget", "Delivery", "EntityRisk", "Escalation", "InboxEvent", "Incident", "IncidentEvent",
    "IncidentMessage", "Item", "JobLease", "Label", "Member", "ProcessedEvent", "Silence", "SilenceHold", "Source",
    "TrainedModel",
]
