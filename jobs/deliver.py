"""The outbox worker: claim due deliveries, hand them to Feishu (or the terminal), record the result."""
import logging
import sys
from dataclasses import dataclass
from typing import Protocol, TextIO

from sqlalchemy.exc import IntegrityError

from bot.alerting import outbox
from bot.cards.terminal import render_terminal
from bot.feishu.client import DeliveryResult, Failed, Retry, Sent
from bot.models import IncidentMessage
from bot.runtime import Runtime

log = logging.getLogger(__name__)


class Sink(Protocol):
    def send(self, chat_id: str, msg_type: str, content: dict, uuid: str) -> DeliveryResult: ...
    def reply(self, message_id: str, msg_type: str, content: dict, uuid: str, in_thread: bool = True) -> DeliveryResult: ...
    def patch(self, message_id: str, card: dict) -> DeliveryResult: ...


class TerminalSink:
    """Prints messages instead of sending them: dry runs and runs without Feishu credentials."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stdout

    def _print(self, where: str, msg_type: str, content: dict) -> None:
        print(f"\n── {where} ──\n{render_terminal(msg_type, content)}\n", file=self.stream, flush=True)

    def send(self, chat_id, msg_type, content, uuid):
        self._print(f"to chat {chat_id}", msg_type, content)
        return Sent(f"terminal-{uuid}")

    def reply(self, message_id, msg_type, content, uuid, in_thread=True):
        self._print(f"reply to {message_id}", msg_type, content)
        return Sent(f"terminal-{uuid}")

    def patch(self, message_id, card):
        self._print(f"update of {message_id}", "interactive", card)
        return Sent(message_id)


@dataclass
class DeliverReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def deliver_due(rt: Runtime, sink: Sink, limit: int = 50) -> DeliverReport:
    """Send what is due now; transient failures are rescheduled with backoff, permanent ones kept as failed."""
    report = DeliverReport()
    for d in outbox.claim_due(rt.sessions, rt.clock.now(), limit):
        if d.kind == "incident_card" or d.kind == "message":
            result = sink.send(d.chat_id, d.msg_type, d.payload, d.uuid)
        elif d.kind == "reply":  # chat-ops: the answer to a command, in the command's thread
            result = sink.reply(d.reply_to, d.msg_type, d.payload, d.uuid)
        else:
            result = Failed(f"unknown delivery kind {d.kind!r}")
        now = rt.clock.now()
        with rt.sessions() as session, session.begin():
            if isinstance(result, Sent):
                outbox.mark_sent(session, d.id, result.message_id, now)
                if d.kind == "incident_card" and d.incident_id is not None:
                    _remember_card(session, d.incident_id, d.chat_id, result.message_id, now)
                report.sent += 1
            elif isinstance(result, Retry):
                row = outbox.mark_retry(session, d.id, result.reason, now, result.after)
                log.warning("delivery %s to %s: %s (attempt %d%s)", d.id, d.chat_id, result.reason, d.attempts,
                            ", giving up" if row.status == "failed" else ", will retry")
                report.retried += row.status != "failed"
                report.failed += row.status == "failed"
            else:
                outbox.mark_failed(session, d.id, result.reason)
                log.error("delivery %s to %s failed for good: %s", d.id, d.chat_id, result.reason)
                report.failed += 1
    return report


def _remember_card(session, incident_id: int, chat_id: str, message_id: str, now) -> None:
    try:
        with session.begin_nested():
            session.add(IncidentMessage(incident_id=incident_id, chat_id=chat_id, message_id=message_id, created_at=now))
    except IntegrityError:
        log.info("incident %s already has a card in %s", incident_id, chat_id)
