"""The notification pipeline: the one writer of the outbox, and the gate every send passes.

Everything the bot says — cards, card updates, thread notices, relayed notes, reminders, escalation pings,
urgent notifications, follow-ups, the digest, ops notices and command replies — is an `Outgoing` of one
`Outbound` kind handed to `submit`, which, in the caller's transaction:

    route   a card goes to the chats the incident's grade (and brand route) names now; an unsent card for a
            chat no longer routed is withdrawn; thread messages go where the incident's card is
    silence a message about an incident a silence covers is held back and counted (`SilenceHold`)
    inert   text bodies lose every tag; mentions come only from config open_ids; cards are scrubbed of any
            mention of someone the config does not name
    dedup   the kind's key is the delivery uuid: one message per key, ever

At send time the delivery worker asks `gate` again (the grade or a silence may have changed since), and
`inert_card` for the cards it renders then.
"""
import logging
import uuid as uuidlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.alerting import silences
from bot.alerting.kinds import Outbound, Transport
from bot.alerting.routing import incident_chats
from bot.cards.text import inert_text, scrub, text_mentions
from bot.config import Config
from bot.models import Delivery, Incident, IncidentMessage, Silence

log = logging.getLogger(__name__)

PENDING, SENT, FAILED, WITHDRAWN, HELD = "pending", "sent", "failed", "withdrawn", "held"


@dataclass(frozen=True)
class Outgoing:
    """One message to queue. `text` may hold untrusted words (titles, names, notes): it is made inert."""

    kind: Outbound
    incident: Incident | None = None
    chats: tuple[str, ...] | None = None   # None: the kind's default (routing, or where the card is)
    text: str | None = None
    mentions: tuple[str, ...] = ()
    card: dict | None = None
    key: tuple = ()                         # what makes this message unique besides kind, incident and chat
    due: datetime | None = None
    reply_to: str | None = None
    meta: dict = field(default_factory=dict)  # stored beside the content, e.g. the item count it reports


def allowed_mentions(config: Config) -> frozenset[str]:
    """Every open_id the config names: the only people a message may @-mention."""
    rota = config.response.rota
    ids = [m.open_id for m in config.team.members] + list(config.alerting.on_call) + list(config.alerting.leads)
    ids += [m.open_id for m in rota.members] + list(rota.leads) + [o.member for o in rota.overrides]
    ids += [rota.backup] if rota.backup else []
    # the owners of watched entities and the relationship managers of customers
    ids += [e.owner for e in config.watchlist.entities if e.owner] + [c.manager for c in config.customers if c.manager]
    return frozenset(ids)


def inert_card(config: Config, card: dict) -> dict:
    """A rendered card with any mention of someone outside the config made inert."""
    out = scrub(card, allowed_mentions(config))
    assert isinstance(out, dict)
    return out


def content_of(config: Config, out: Outgoing) -> tuple[str, dict]:
    """The message type and content: a scrubbed card, or inert text followed by config mentions."""
    if out.card is not None:
        return "interactive", inert_card(config, out.card)
    allowed = allowed_mentions(config)
    at = text_mentions(tuple(m for m in out.mentions if m in allowed))
    body = "\n".join(x for x in (inert_text(out.text), at) if x)
    return "text", {"text": body}


def muting(session: Session, incident: Incident, now: datetime) -> Silence | None:
    """The active silence covering this incident, or None."""
    ahead = _ahead(session)
    if ahead is not None and ahead.now == now:
        subject = silences.Subject.of(incident)
        return next((s for s in ahead.silences if silences.matches(s, subject)), None)
    return silences.is_muted(session, silences.Subject.of(incident), now)


@dataclass
class ReadAhead:
    """What telling the chats about many incidents reads, taken in one query each for all of them: a scan chunk
    touches hundreds of incidents, and a query per incident and read was most of what grouping them cost.
    Lives in `session.info` for a `read_ahead` block; what the block queues is added to it (`_insert`)."""

    now: datetime
    cards: dict[int, list[Delivery]]         # incident id → its card rows, oldest first
    posted: dict[int, dict[str, str]]        # incident id → chat_id → message_id of its posted cards
    silences: list[Silence]                  # active at `now`
    notified_at: dict[int, datetime]         # when a card or card update about it last reached a chat
    unstarted: dict[int, Delivery]           # its card update no worker has picked up yet
    noticed_items: dict[int, int]            # the item count the chats last heard about


AHEAD = "yuqing.read_ahead"
NOTICES = (Outbound.INCIDENT_CARD.value, Outbound.THREAD_NOTICE.value, Outbound.FOLLOW_UP.value)


@contextmanager
def read_ahead(session: Session, incident_ids: Iterable[int], now: datetime) -> Iterator[ReadAhead]:
    """Within the block, the notification reads of these incidents (card rows, posted cards, silences, last
    notification, pending update, item count last told) come from memory. Only the block's own caller may write
    deliveries, incident messages or silences meanwhile: it is one caller's batch, in one transaction."""
    ids = sorted(set(incident_ids))
    ahead = ReadAhead(now, {i: [] for i in ids}, {i: {} for i in ids}, silences.active_silences(session, now),
                      {}, {}, {})
    card, update = Outbound.INCIDENT_CARD.value, Outbound.CARD_UPDATE.value
    for start in range(0, len(ids), 1000):  # bounded IN lists
        chunk = ids[start:start + 1000]
        about = Delivery.incident_id.in_(chunk)
        for row in session.scalars(select(Delivery).where(about, Delivery.kind.in_((card, update)),
                                                          (Delivery.kind == card) | (Delivery.status == PENDING))
                                   .order_by(Delivery.id)):
            assert row.incident_id is not None  # the query asked for these incidents' rows
            if row.kind == card:
                ahead.cards[row.incident_id].append(row)
            elif row.attempts == 0:
                ahead.unstarted.setdefault(row.incident_id, row)
        for incident_id, chat, message in session.execute(
                select(IncidentMessage.incident_id, IncidentMessage.chat_id, IncidentMessage.message_id)
                .where(IncidentMessage.incident_id.in_(chunk)).order_by(IncidentMessage.id)):
            ahead.posted[incident_id][str(chat)] = str(message)
        for about_id, at in session.execute(
                select(Delivery.incident_id, func.max(Delivery.sent_at))
                .where(about, Delivery.kind.in_((card, update)), Delivery.status == SENT)
                .group_by(Delivery.incident_id)):
            if about_id is not None and at is not None:
                ahead.notified_at[about_id] = at
        for about_id, count in session.execute(
                select(Delivery.incident_id, func.max(Delivery.payload["item_count"].as_integer()))
                .where(about, Delivery.kind.in_(NOTICES)).group_by(Delivery.incident_id)):
            if about_id is not None and count is not None:
                ahead.noticed_items[about_id] = int(count)
    session.info[AHEAD] = ahead
    try:
        yield ahead
    finally:
        session.info.pop(AHEAD, None)


def _note_queued(ahead: ReadAhead, row: Delivery) -> None:
    """Keep the read-ahead true to the rows its block queues."""
    incident_id = row.incident_id
    if incident_id is None or incident_id not in ahead.cards:  # not read ahead: its reads go to the table
        return
    if row.kind == Outbound.INCIDENT_CARD.value:
        ahead.cards[incident_id].append(row)
    elif row.kind == Outbound.CARD_UPDATE.value:
        ahead.unstarted.setdefault(incident_id, row)
    count = row.payload.get("item_count") if isinstance(row.payload, dict) else None
    if row.kind in NOTICES and isinstance(count, int):
        ahead.noticed_items[incident_id] = max(count, ahead.noticed_items.get(incident_id, count))


def _ahead(session: Session) -> ReadAhead | None:
    return session.info.get(AHEAD)


def ahead_for(session: Session, incident_id: int) -> ReadAhead | None:
    """The read-ahead of a `read_ahead` block, if it holds this incident (else its reads go to the tables)."""
    ahead = _ahead(session)
    return ahead if ahead is not None and incident_id in ahead.cards else None


def submit(session: Session, config: Config, out: Outgoing, now: datetime) -> list[Delivery]:
    """Queue a message (one row per chat) in the caller's transaction; returns the rows queued now."""
    inc = out.incident
    if out.kind.about_incident and inc is not None:
        session.flush()
        silence = muting(session, inc, now)
        if silence is not None:
            silences.hold(session, silence, inc.id, out.kind.value, now)
            log.info("incident %s: %s held back by silence #%s", inc.id, out.kind.value, silence.id)
            return []
    if out.kind is Outbound.INCIDENT_CARD:
        assert inc is not None
        return _cards(session, config, out, inc, now)
    if out.kind is Outbound.CARD_UPDATE:
        assert inc is not None
        return [_insert(session, out, None, "interactive", {}, now, key=None)]
    chats = out.chats if out.chats is not None else _default_chats(session, config, out)
    msg_type, content = content_of(config, out)
    rows = []
    for chat in chats:
        key = out.kind.key(*out.key, incident_id=inc.id if inc else None, chat_id=chat)
        if _exists(session, key):
            continue
        rows.append(_insert(session, out, chat, msg_type, {"content": content, **out.meta}, now, key))
    return rows


def _default_chats(session: Session, config: Config, out: Outgoing) -> tuple[str, ...]:
    if out.kind.transport in (Transport.THREAD, Transport.URGENT) and out.incident is not None:
        return tuple(card_chats(session, out.incident.id))
    return ()


def _cards(session: Session, config: Config, out: Outgoing, inc: Incident, now: datetime) -> list[Delivery]:
    """Route the incident's cards by its grade now: withdraw unsent ones the grade no longer routes, queue one
    per newly routed chat — at once if a card is already out, else with the first card's group_wait."""
    routed = incident_chats(config, inc)
    if not routed:
        log.warning("incident %s (%s): no chat is routed for it", inc.id, inc.grade)
    existing = {d.chat_id: d for d in card_rows(session, inc.id)}
    # the first card's group_wait holds for the cards of a rise inside it: the burst still gets one card, on time
    waiting = [d.next_attempt_at for d in existing.values() if d.status == PENDING]
    for chat, row in existing.items():
        if row.status == PENDING and chat not in routed:
            row.status, row.last_error = WITHDRAWN, f"not routed for {inc.grade or '未定级'} any more"
            log.info("incident %s: unsent card for %s withdrawn (now %s)", inc.id, chat, inc.grade)
    if any(d.status == SENT for d in existing.values()):
        due = now
    elif waiting:
        due = min(waiting)
    else:
        due = out.due or now
    rows = []
    for chat in routed:
        found = existing.get(chat)
        if found is None:
            key = out.kind.key(incident_id=inc.id, chat_id=chat)
            rows.append(_insert(session, out, chat, "interactive", dict(out.meta), now, key, due=due))
        elif found.status in (WITHDRAWN, HELD):  # routed here again, or its silence ended: the same card, revived
            found.status, found.next_attempt_at, found.attempts, found.last_error = PENDING, due, 0, None
            rows.append(found)
    return rows


def _exists(session: Session, key: str) -> bool:
    return session.scalar(select(Delivery.id).where(Delivery.uuid == key)) is not None


def _insert(session: Session, out: Outgoing, chat: str | None, msg_type: str, payload: dict, now: datetime,
            key: str | None, due: datetime | None = None) -> Delivery:
    row = Delivery(uuid=key or uuidlib.uuid4().hex, kind=out.kind.value, chat_id=chat, msg_type=msg_type,
                   payload=payload, incident_id=out.incident.id if out.incident else None, reply_to=out.reply_to,
                   status=PENDING, attempts=0, next_attempt_at=due or out.due or now, created_at=now)
    session.add(row)
    ahead = _ahead(session)
    if ahead is not None:
        _note_queued(ahead, row)
    return row


# -- reads the pipeline and its callers share ------------------------------------------------------------
def card_rows(session: Session, incident_id: int) -> list[Delivery]:
    ahead = ahead_for(session, incident_id)
    if ahead is not None:
        return list(ahead.cards[incident_id])
    return list(session.scalars(select(Delivery).where(Delivery.incident_id == incident_id,
                                                       Delivery.kind == Outbound.INCIDENT_CARD.value)
                                .order_by(Delivery.id)))


def card_chats(session: Session, incident_id: int) -> list[str]:
    """The chats where the incident's card is posted or on its way (a reply there lands in its thread)."""
    return [d.chat_id for d in card_rows(session, incident_id) if d.status in (PENDING, SENT) and d.chat_id]


# -- at send time ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Verdict:
    send: bool
    status: str = PENDING      # WITHDRAWN or HELD when not sent
    reason: str = ""


GO = Verdict(True)


def gate(session: Session, config: Config, kind: Outbound, chat_id: str | None, incident: Incident | None,
         now: datetime) -> Verdict:
    """Whether a claimed delivery may go now: the silence and routing checks, asked again at send time."""
    if not kind.about_incident or incident is None:
        return GO
    silence = muting(session, incident, now)
    if silence is not None:
        silences.hold(session, silence, incident.id, kind.value, now)
        return Verdict(False, HELD, f"held back by silence #{silence.id}")
    if kind is Outbound.INCIDENT_CARD and chat_id not in incident_chats(config, incident):
        return Verdict(False, WITHDRAWN, f"not routed for {incident.grade or '未定级'} any more")
    return GO


def release_held(session: Session, config: Config, incident_ids: Iterable[int], now: datetime,
                 still_due: Callable[[Incident], bool]) -> int:
    """After a silence ends: an incident for which `still_due(incident)` holds gets its card (the held one
    revived, or a new one) if none is out, else one update of the card; nothing stale is replayed."""
    released = 0
    for incident_id in dict.fromkeys(incident_ids):
        inc = session.get(Incident, incident_id)
        if inc is None or not still_due(inc) or muting(session, inc, now) is not None:
            continue
        if any(d.status == SENT for d in card_rows(session, inc.id)):
            released += len(submit(session, config, Outgoing(Outbound.CARD_UPDATE, inc), now))
        else:
            released += len(submit(session, config, Outgoing(Outbound.INCIDENT_CARD, inc, due=now), now))
    return released
