"""The outbox, worker side: claim due deliveries, record what happened (rows are written only by
`bot.alerting.pipeline`).

A claim is a short transaction that leases rows (moves `next_attempt_at` past the lease and counts the
attempt), so a worker that dies mid-send leaves them due again later; the delivery `uuid`, sent to
Feishu, makes that resend harmless. On PostgreSQL the claim skips rows another worker holds.
"""
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, not_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from bot.alerting.kinds import Outbound
from bot.alerting.policy import SendCap
from bot.models import ChatSendBudget, Delivery

LEASE = timedelta(seconds=60)
BACKOFF_BASE = 2.0
# an outage is retried at most this far apart (with jitter, so a backlog does not come back at once): a card
# waiting through a Feishu outage goes out within a minute of its recovery
BACKOFF_MAX = 40.0
# transient failures (an outage, rate limits) are retried this long; a card is interactive for 14 days
GIVE_UP_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class Claimed:
    """A leased delivery. `chat_id` is set for every kind but card updates, `incident_id` for those about an
    incident, `reply_to` for command replies: `.chat` and `.incident` read them where the kind needs them."""

    id: int
    uuid: str
    kind: str
    chat_id: str | None
    reply_to: str | None
    msg_type: str
    payload: dict
    incident_id: int | None
    attempts: int

    @property
    def chat(self) -> str:
        if self.chat_id is None:
            raise ValueError(f"delivery {self.id} ({self.kind}) has no chat")
        return self.chat_id

    @property
    def incident(self) -> int:
        if self.incident_id is None:
            raise ValueError(f"delivery {self.id} ({self.kind}) is about no incident")
        return self.incident_id

    @property
    def parent(self) -> str:
        if self.reply_to is None:
            raise ValueError(f"delivery {self.id} ({self.kind}) replies to no message")
        return self.reply_to


def _order() -> tuple[Any, ...]:
    # the answer to a command goes before queued cards: someone is waiting for it
    return case((Delivery.kind == Outbound.COMMAND_REPLY.value, 0), else_=1), Delivery.id


def _spends() -> ColumnElement[bool]:
    """Deliveries that spend their chat's send budget (all with a chat but 加急, which is not a message)."""
    return and_(Delivery.chat_id.is_not(None), Delivery.kind != Outbound.URGENT.value)


def claim_due(sessions: sessionmaker[Session], now: datetime, limit: int = 50,
              cap: SendCap | None = None) -> list[Claimed]:
    """Lease up to `limit` due deliveries: command replies first, then oldest first. With the chats' send `cap`,
    no more of a chat's deliveries are leased than its budget admits now (`budget_frees_at` tells when a spent
    chat has room): a backlog of cards for one chat is not leased, rendered and put back again every time one
    send frees up, and it does not hold up the other chats' deliveries behind it."""
    with sessions() as session, session.begin():
        due = and_(Delivery.status == "pending", Delivery.next_attempt_at <= now)
        stmt = select(Delivery).where(due).order_by(*_order()).limit(limit)
        if cap is not None:
            ranked = (select(Delivery.id, func.row_number().over(partition_by=Delivery.chat_id, order_by=_order())
                             .label("n"))
                      .where(due, _spends(), Delivery.chat_id.not_in(
                          select(ChatSendBudget.chat_id).where(ChatSendBudget.tat > now + cap.slack)))
                      .subquery())
            stmt = stmt.where(or_(not_(_spends()), Delivery.id.in_(select(ranked.c.id).where(ranked.c.n <= cap.burst))))
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True, of=Delivery)
        rows = list(session.scalars(stmt).all())
        if cap is not None:
            rows = _within_room(session, rows, now, cap)
        claimed = []
        for row in rows:
            row.attempts += 1
            row.next_attempt_at = now + LEASE
            claimed.append(Claimed(row.id, row.uuid, row.kind, row.chat_id, row.reply_to, row.msg_type,
                                   row.payload, row.incident_id, row.attempts))
        return claimed


def _within_room(session: Session, rows: list[Delivery], now: datetime, cap: SendCap) -> list[Delivery]:
    spending = [(r.id, r.chat_id) for r in rows if r.chat_id is not None and r.kind != Outbound.URGENT.value]
    chats = {chat for _, chat in spending}  # as _spends(): 加急 spends nothing
    tats = dict(session.execute(select(ChatSendBudget.chat_id, ChatSendBudget.tat)
                                .where(ChatSendBudget.chat_id.in_(chats))).all()) if chats else {}
    room = {chat: cap.room(tats.get(chat), now) for chat in chats}
    over = set()
    for id_, chat in spending:
        if room[chat] <= 0:
            over.add(id_)
        room[chat] -= 1
    return [r for r in rows if r.id not in over]


def budget_frees_at(sessions: sessionmaker[Session], now: datetime, cap: SendCap) -> datetime | None:
    """When the first chat whose due deliveries wait for its spent budget gets room again."""
    with sessions() as session:
        tat = session.scalar(
            select(func.min(ChatSendBudget.tat)).where(
                ChatSendBudget.tat > now + cap.slack,
                select(Delivery.id).where(Delivery.chat_id == ChatSendBudget.chat_id, Delivery.status == "pending",
                                          Delivery.next_attempt_at <= now).exists()))
    return None if tat is None else tat - cap.slack


def _row(session: Session, delivery_id: int) -> Delivery:
    row = session.get(Delivery, delivery_id)
    if row is None:
        raise LookupError(f"delivery {delivery_id} is not in the outbox")
    return row


def backoff(attempts: int) -> timedelta:
    """Exponential backoff after the n-th failed attempt, capped, with jitter (half to all of it)."""
    return timedelta(seconds=min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_MAX) * random.uniform(0.5, 1.0))


def mark_sent(session: Session, delivery_id: int, message_id: str, now: datetime) -> Delivery:
    row = _row(session, delivery_id)
    row.status, row.message_id, row.sent_at, row.last_error = "sent", message_id, now, None
    return row


def mark_retry(session: Session, delivery_id: int, reason: str, now: datetime, after: float | None = None) -> Delivery:
    """Schedule another attempt, or give up for good once the delivery is GIVE_UP_AFTER old."""
    row = _row(session, delivery_id)
    row.last_error = reason
    if now - row.created_at >= GIVE_UP_AFTER:
        row.status = "failed"
        row.last_error = f"gave up after {row.attempts} attempts in {now - row.created_at}: {reason}"
        return row
    wait = backoff(row.attempts)
    if after is not None:
        wait = max(wait, timedelta(seconds=after))
    row.next_attempt_at = now + wait
    return row


def defer(session: Session, delivery_id: int, until: datetime, reason: str | None = None) -> Delivery:
    """Put a claimed delivery back until `until` without counting the attempt (rate cap, card not posted yet)."""
    row = _row(session, delivery_id)
    row.attempts = max(row.attempts - 1, 0)
    row.next_attempt_at = until
    if reason:
        row.last_error = reason
    return row


def mark_dropped(session: Session, delivery_id: int, status: str, reason: str) -> Delivery:
    """Withdrawn (no longer routed, nowhere to reply) or held by a silence: not sent, and not a failure."""
    row = _row(session, delivery_id)
    row.status, row.last_error = status, reason
    return row


def mark_failed(session: Session, delivery_id: int, reason: str) -> Delivery:
    row = _row(session, delivery_id)
    row.status, row.last_error = "failed", reason
    return row
