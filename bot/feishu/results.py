"""What a send to Feishu came to: sent (with the message id), to retry (with why and when), or failed for good.

Apart from the client so the delivery worker and a run without credentials do not load lark-oapi (seconds).
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Sent:
    message_id: str


@dataclass(frozen=True)
class Retry:
    reason: str
    after: float | None = None


@dataclass(frozen=True)
class Failed:
    reason: str


DeliveryResult = Sent | Retry | Failed
