"""The outbox worker: claim due deliveries, hand them to Feishu (or the terminal), record the result.

Each delivery's kind (`bot.alerting.kinds.Outbound`) names its transport: a card (rendered now from the
incident, then its message id is stored), a patch of every posted card of the incident, a reply in the thread
of the incident's card in that chat (waiting while the card is still queued), a message in a chat, a reply to
a command, or an urgent notification on a posted message. Before anything about an incident goes out, the
pipeline's `gate` asks again whether a silence holds it back or the grade no longer routes it. Every send
carries the delivery uuid, so a resend after a crash or a lease expiry cannot post twice. Sends to a chat
spend its budget (bot.alerting.ratecap); over budget, a delivery is put back without counting an attempt.
"""
import logging
import re
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Protocol, TextIO

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from bot.alerting import outbox, pipeline, queries
from bot.alerting.kinds import Outbound, Transport
from bot.alerting.policy import SendCap
from bot.alerting.ratecap import reserve_send
from bot.alerting.views import build_incident_view
from bot.cards.incident import render_incident_card
from bot.cards.terminal import render_terminal
from bot.feishu.results import DeliveryResult, Failed, Retry, Sent
from bot.models import Delivery, InboxEvent, Incident, IncidentMessage
from bot import metrics
from bot.outage import Outage
from bot.runtime import Runtime
from bot.wakeup import OUTBOX, SIGNALS, Signals

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0  # the fallback: a stored delivery wakes the worker at once (bot.wakeup)
CLAIM_LIMIT = 50
SENDS = Outage("sending to Feishu", log)  # Feishu down, rate limited, token trouble: logged once per cause
CARD_WAIT = timedelta(seconds=5)  # a thread reply or update whose card is still on its way looks again after this


class Sink(Protocol):
    def send(self, chat_id: str, msg_type: str, content: dict, uuid: str) -> DeliveryResult: ...
    def reply(self, message_id: str, msg_type: str, content: dict, uuid: str, in_thread: bool = True) -> DeliveryResult: ...
    def patch(self, message_id: str, card: dict) -> DeliveryResult: ...
    def urgent(self, message_id: str, open_ids: list[str], how: str) -> DeliveryResult: ...


class TerminalSink:
    """Prints messages instead of sending them: dry runs and runs without Feishu credentials."""

    rate_limited = False  # a terminal has no Feishu rate limit

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

    def urgent(self, message_id, open_ids, how):
        self._print(f"urgent ({how}) on {message_id}", "text", {"text": " ".join(open_ids)})
        return Sent(message_id)


@dataclass(frozen=True)
class Deferred:
    until: datetime
    reason: str


@dataclass(frozen=True)
class Dropped:
    """Not sent, for a reason that is no failure: withdrawn (no longer routed, no card to reply to) or held."""

    status: str
    reason: str


@dataclass
class DeliverReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0
    dropped: int = 0
    next_due: datetime | None = None


def deliver_due(rt: Runtime, sink: Sink, limit: int = CLAIM_LIMIT, horizon: timedelta = timedelta(0)) -> DeliverReport:
    """Send what is due now (or within `horizon`); transient failures retry with backoff, permanent ones stay failed."""
    report = DeliverReport()
    cfg = rt.config.alerting
    cap = SendCap(cfg.chat_rate, cfg.chat_burst) if getattr(sink, "rate_limited", True) else None
    at = rt.clock.now() + horizon
    claimed = outbox.claim_due(rt.sessions, at, limit, cap)
    for d in claimed:
        try:
            outcome, shown = _attempt(rt, sink, d)
        except (OperationalError, InterfaceError):
            raise  # the database is gone: stop the batch (the leases bring these back), the worker backs off
        except Exception as exc:  # a bug in one delivery must not stop the others
            log.exception("delivery %s (%s) crashed", d.id, d.kind)
            outcome, shown = Retry(f"internal error: {type(exc).__name__}: {exc}"), None
        _record(rt, d, outcome, shown, report)
    if cap is not None and len(claimed) < limit:  # some may wait for a chat's budget, spent by these sends
        frees = outbox.budget_frees_at(rt.sessions, at, cap)
        if frees is not None:
            report.next_due = min(report.next_due or frees, frees)
    return report


class DeliveryWorker:
    """Delivers as soon as a delivery is stored (bot.wakeup), when the next one falls due, or on the fallback
    poll; an outage is logged once per cause with backoff, then "recovered".

    `threads` senders claim small batches each, so one slow send (Feishu answers in up to seconds) does not hold
    up the replies behind it; the claim's lease keeps them from taking the same row.
    """

    def __init__(self, rt: Runtime, sink: Sink, poll: float = POLL_SECONDS, name: str = "deliver",
                 signals: Signals | None = SIGNALS, threads: int = 2, batch: int = 10):
        self.rt, self.sink, self.poll = rt, sink, poll
        # signals=None: polling only (the benchmark's baseline)
        self._signals = signals
        self._wake = signals.subscribe(OUTBOX) if signals is not None else threading.Event()
        self.batch = batch
        self._stopping = threading.Event()
        self._threads = [threading.Thread(target=self._run, name=f"{name}-{i}", daemon=True) for i in range(threads)]

    def start(self) -> "DeliveryWorker":
        for t in self._threads:
            t.start()
        return self

    def stop(self, timeout: float = 15.0) -> None:
        self._stopping.set()
        self._wake.set()
        for t in self._threads:
            if t.is_alive():
                t.join(timeout)
        if self._signals is not None:
            self._signals.unsubscribe(OUTBOX, self._wake)

    def _run(self) -> None:
        outage = Outage("delivery worker", log)
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                report = deliver_due(self.rt, self.sink, limit=self.batch)
                outage.ok()
            except Exception as exc:
                self._stopping.wait(outage.failed(exc))
                continue
            if report.sent + report.retried + report.failed + report.deferred >= self.batch:
                continue  # a full batch: there may be more due right now
            pause = self.poll
            if report.next_due is not None:
                pause = min(pause, max((report.next_due - self.rt.clock.now()).total_seconds(), 0.01))
            self._wake.wait(pause)


def drain(rt: Runtime, sink: Sink, horizon: timedelta, max_wait: float = 10.0,
          sleep: Callable[[float], None] = time.sleep) -> DeliverReport:
    """For one-shot commands: deliver everything due within `horizon`, waiting (up to `max_wait` s) for chat budgets."""
    total, waited = DeliverReport(), 0.0
    while True:
        r = deliver_due(rt, sink, limit=10_000, horizon=horizon)
        total.sent, total.retried, total.failed = total.sent + r.sent, total.retried + r.retried, total.failed + r.failed
        total.deferred = r.deferred
        if not r.deferred or r.next_due is None or waited >= max_wait:
            return total
        pause = min(max((r.next_due - rt.clock.now()).total_seconds(), 0.05), max_wait - waited)
        sleep(pause)
        waited += pause


def _spend(rt: Runtime, sink: Sink, chat_id: str) -> Deferred | None:
    if not getattr(sink, "rate_limited", True):
        return None
    cfg, now = rt.config.alerting, rt.clock.now()
    with rt.sessions() as session, session.begin():
        retry_at = reserve_send(session, chat_id, now, cfg.chat_rate, cfg.chat_burst)
    return Deferred(retry_at, f"chat {chat_id} over {cfg.chat_rate:g}/s") if retry_at else None


def _render(rt: Runtime, incident_id: int) -> tuple[dict, int] | None:
    with rt.sessions() as session:
        incident = session.get(Incident, incident_id)
        if incident is None:
            return None
        view = build_incident_view(session, incident, rt.config, rt.clock.now())
        return pipeline.inert_card(rt.config, render_incident_card(view)), view.item_count


def _gate(rt: Runtime, d: outbox.Claimed, kind: Outbound) -> Dropped | None:
    if d.incident_id is None or not kind.about_incident:
        return None
    with rt.sessions() as session, session.begin():
        verdict = pipeline.gate(session, rt.config, kind, d.chat_id, session.get(Incident, d.incident_id),
                                rt.clock.now())
    return None if verdict.send else Dropped(verdict.status, verdict.reason)


def _content(d: outbox.Claimed) -> dict:
    return d.payload["content"] if isinstance(d.payload.get("content"), dict) else d.payload


def _attempt(rt: Runtime, sink: Sink, d: outbox.Claimed) -> tuple[DeliveryResult | Deferred | Dropped, int | None]:
    try:
        kind = Outbound(d.kind)
    except ValueError:
        return Failed(f"unknown delivery kind {d.kind!r}"), None
    dropped = _gate(rt, d, kind)
    if dropped is not None:
        return dropped, None
    transport = kind.transport
    if transport is Transport.CARD:
        rendered = _render(rt, d.incident_id) if d.incident_id else None
        if rendered is None:
            return Failed(f"incident {d.incident_id} not found"), None
        return _spend(rt, sink, d.chat) or sink.send(d.chat, "interactive", rendered[0], d.uuid), rendered[1]
    if transport is Transport.PATCH:
        return _update(rt, sink, d), None
    if transport is Transport.THREAD:
        return _reply(rt, sink, d), None
    if transport is Transport.URGENT:
        return _urgent(rt, sink, d), None
    if transport is Transport.REPLY:  # chat-ops: the answer to a command, in the command's thread
        return _spend(rt, sink, d.chat) or sink.reply(d.parent, d.msg_type, _content(d), d.uuid), None
    return _spend(rt, sink, d.chat) or sink.send(d.chat, d.msg_type, _content(d), d.uuid), None


def _card_still_coming(rt: Runtime, incident_id: int, chat_id: str | None) -> Deferred | None:
    with rt.sessions() as session:
        cards = [c for c in queries.card_rows(session, incident_id)
                 if c.status == "pending" and (chat_id is None or c.chat_id == chat_id)]
    if not cards:
        return None
    until = max(min(c.next_attempt_at for c in cards), rt.clock.now()) + CARD_WAIT
    return Deferred(until, "the incident's card is not posted yet")


def _reply(rt: Runtime, sink: Sink, d: outbox.Claimed) -> DeliveryResult | Deferred | Dropped:
    with rt.sessions() as session:
        message_id = queries.posted_cards(session, d.incident).get(d.chat)
    if message_id is None:
        if d.payload.get("standalone"):  # e.g. an escalation before any card: a message of its own
            return _spend(rt, sink, d.chat) or sink.send(d.chat, d.msg_type, _content(d), d.uuid)
        return _card_still_coming(rt, d.incident, d.chat) or Dropped(
            pipeline.WITHDRAWN, f"incident {d.incident_id} has no card in {d.chat_id} to reply to")
    return _spend(rt, sink, d.chat) or sink.reply(message_id, d.msg_type, _content(d), d.uuid)


def _urgent(rt: Runtime, sink: Sink, d: outbox.Claimed) -> DeliveryResult | Deferred | Dropped:
    """加急 on the escalation message this delivery points at (its key is in the payload)."""
    with rt.sessions() as session:
        target = session.scalar(select(Delivery).where(Delivery.uuid == d.payload.get("message_key")))
        if target is None:
            return Failed("the escalation message to make urgent is not in the outbox")
        if target.status != "sent" or not target.message_id:
            if target.status != "pending":
                return Dropped(pipeline.WITHDRAWN, f"the escalation message was {target.status}")
            return Deferred(rt.clock.now() + CARD_WAIT, "the escalation message is not sent yet")
        message_id = target.message_id
    return sink.urgent(message_id, list(d.payload.get("open_ids") or []), str(d.payload.get("how", "app")))


def _update(rt: Runtime, sink: Sink, d: outbox.Claimed) -> DeliveryResult | Deferred | Dropped:
    with rt.sessions() as session:
        posted = queries.posted_cards(session, d.incident)
    if not posted:
        return _card_still_coming(rt, d.incident, None) or Sent("")
    rendered = _render(rt, d.incident)
    if rendered is None:
        return Failed(f"incident {d.incident_id} not found")
    results = {chat: sink.patch(mid, rendered[0]) for chat, mid in posted.items()}
    retry = [f"{chat}: {r.reason}" for chat, r in results.items() if isinstance(r, Retry)]
    failed = [f"{chat}: {r.reason}" for chat, r in results.items() if isinstance(r, Failed)]
    if retry:  # patching is idempotent: try them all again
        afters = [r.after for r in results.values() if isinstance(r, Retry) and r.after]
        return Retry("; ".join(retry + failed), after=max(afters) if afters else None)
    return Failed("; ".join(failed)) if failed else Sent(next(iter(posted.values())))


def _record(rt: Runtime, d: outbox.Claimed, result: DeliveryResult | Deferred | Dropped, shown: int | None,
            report: DeliverReport) -> None:
    now = rt.clock.now()
    outcome = {Deferred: "deferred", Dropped: "dropped", Sent: "sent", Retry: "retry"}.get(type(result), "failed")
    metrics.DELIVERIES.labels(d.kind, outcome).inc()
    with rt.sessions() as session, session.begin():
        if isinstance(result, Sent) and d.kind == Outbound.COMMAND_REPLY and d.payload.get("event_id"):
            asked = session.scalar(select(InboxEvent.received_at).where(InboxEvent.event_id == d.payload["event_id"]))
            if asked is not None:
                metrics.REPLY_SECONDS.observe(max((now - asked).total_seconds(), 0.0))
        if isinstance(result, Deferred):
            outbox.defer(session, d.id, result.until, result.reason)
            report.deferred += 1
            report.next_due = min(report.next_due or result.until, result.until)
        elif isinstance(result, Dropped):
            outbox.mark_dropped(session, d.id, result.status, result.reason)
            log.info("delivery %s (%s) to %s not sent: %s", d.id, d.kind, d.chat_id, result.reason)
            report.dropped += 1
        elif isinstance(result, Sent):
            row = outbox.mark_sent(session, d.id, result.message_id, now)
            if d.kind == Outbound.INCIDENT_CARD and d.incident_id is not None:
                _remember_card(session, d.incident_id, d.chat, result.message_id, now)
                if shown is not None:
                    row.payload = {**row.payload, "item_count": shown}
            report.sent += 1
            SENDS.ok()
        elif isinstance(result, Retry):
            row = outbox.mark_retry(session, d.id, result.reason, now, result.after)
            SENDS.note(re.sub(r",? ?log id [^)]*", "", result.reason))  # one line per cause, not per delivery
            log.log(logging.WARNING if row.status == "failed" else logging.DEBUG,
                    "delivery %s (%s) to %s: %s (attempt %d%s)", d.id, d.kind, d.chat_id, result.reason,
                    d.attempts, ", giving up" if row.status == "failed" else ", will retry")
            report.retried += row.status != "failed"
            report.failed += row.status == "failed"
        else:
            outbox.mark_failed(session, d.id, result.reason)
            log.error("delivery %s (%s) to %s failed for good: %s", d.id, d.kind, d.chat_id, result.reason)
            report.failed += 1


def _remember_card(session, incident_id: int, chat_id: str, message_id: str, now) -> None:
    try:
        with session.begin_nested():
            session.add(IncidentMessage(incident_id=incident_id, chat_id=chat_id, message_id=message_id, created_at=now))
    except IntegrityError:
        log.info("incident %s already has a card in %s", incident_id, chat_id)
