"""The outbox: enqueue messages in the caller's transaction, claim due ones, record what happened.

A claim is a short transaction that leases rows (moves `next_attempt_at` past the lease and counts the
attempt), so a worker that dies mid-send leaves them due again later; the delivery `uuid`, sent to
Feishu, makes that resend harmless. On PostgreSQL the claim skips rows another worker holds.
"""
import hashlib
import uuid as uuidlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, select
from sqlalchemy.orm import Session, sessionmaker

from bot.models import Delivery

LEASE = timedelta(seconds=60)
BACKOFF_BASE = 2.0
BACKOFF_MAX = 600.0
# transient failures (an outage, rate limits) are retried this long; a card is interactive for 14 days
GIVE_UP_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class Claimed:
    id: int
    uuid: str
    kind: str
    chat_id: str | None
    reply_to: str | None
    msg_type: str
    payload: dict
    incident_id: int | None
    attempts: int


def enqueue(session: Session, *, kind: str, chat_id: str | None, msg_type: str, payload: dict, now: datetime,
            incident_id: int | None = None, item_id: int | None = None, reply_to: str | None = None,
            key: str | None = None, due: datetime | None = None) -> Delivery:
    """Add a message to send (at `due`, default now), in the caller's transaction; `key` becomes its stable uuid."""
    row = Delivery(uuid=key or uuidlib.uuid4().hex, kind=kind, chat_id=chat_id, msg_type=msg_type,
                   payload=payload, incident_id=incident_id, item_id=item_id, reply_to=reply_to,
                   status="pending", attempts=0, next_attempt_at=due or now, created_at=now)
    session.add(row)
    return row


def enqueue_once(session: Session, *, key: str, **fields) -> Delivery | None:
    """Like `enqueue`, unless a delivery with this key exists already (then None): one card per chat, etc."""
    if session.scalar(select(Delivery.id).where(Delivery.uuid == key)) is not None:
        return None
    return enqueue(session, key=key, **fields)


def short_key(text: str, length: int = 16) -> str:
    """A short stable digest of e.g. a chat id, to build delivery keys that fit the uuid column (50)."""
    return hashlib.sha1(text.encode()).hexdigest()[:length]


def claim_due(sessions: sessionmaker[Session], now: datetime, limit: int = 50) -> list[Claimed]:
    """Lease up to `limit` due deliveries: command replies first, then oldest first."""
    with sessions() as session, session.begin():
        # the answer to a command goes before queued cards: someone is waiting for it
        stmt = (select(Delivery).where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
                .order_by(case((Delivery.kind == "reply", 0), else_=1), Delivery.id).limit(limit))
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = session.scalars(stmt).all()
        claimed = []
        for row in rows:
            row.attempts += 1
            row.next_attempt_at = now + LEASE
            claimed.append(Claimed(row.id, row.uuid, row.kind, row.chat_id, row.reply_to, row.msg_type,
                                   row.payload, row.incident_id, row.attempts))
        return claimed


def backoff(attempts: int) -> timedelta:
    """Exponential backoff after the n-th failed attempt, capped."""
    return timedelta(seconds=min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_MAX))


def mark_sent(session: Session, delivery_id: int, message_id: str, now: datetime) -> Delivery:
    row = session.get(Delivery, delivery_id)
    row.status, row.message_id, row.sent_at, row.last_error = "sent", message_id, now, None
    return row


def mark_retry(session: Session, delivery_id: int, reason: str, now: datetime, after: float | None = None) -> Delivery:
    """Schedule another attempt, or give up for good once the delivery is GIVE_UP_AFTER old."""
    row = session.get(Delivery, delivery_id)
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
    row = session.get(Delivery, delivery_id)
    row.attempts = max(row.attempts - 1, 0)
    row.next_attempt_at = until
    if reason:
        row.last_error = reason
    return row


def mark_failed(session: Session, delivery_id: int, reason: str) -> Delivery:
    row = session.get(Delivery, delivery_id)
    row.status, row.last_error = "failed", reason
    return row
