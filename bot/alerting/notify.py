"""The one hook every incident change goes through on its way to the chats.

Callers (the scan's incident grouping, the chat actions, the escalation jobs) describe what changed;
`on_incident_change` decides what to send (routing, storm-control policy) and writes the outbox rows in the
caller's transaction. Cards are rendered when sent, so a queued card or update always shows the incident as
it is then: a burst of items folds into one card and one pending update per incident.

Races: every caller also updates the incident row, whose version column makes two concurrent writers of one
incident conflict, so "is an update already pending?" cannot be answered twice at once.
"""
import logging
from datetime import datetime

from sqlalchemy.orm import Session

from bot.alerting import outbox, queries
from bot.alerting.changes import Change, ChangeKind
from bot.alerting.notices import note_notice, thread_notice
from bot.alerting.policy import NotifyReason, Timing, first_card_due, thread_reason, update_due
from bot.alerting.routing import chats_for, mentions_for
from bot.alerting.views import display_name
from bot.config import Config
from bot.customers.routes import tier_chats
from bot.grades import Grade
from bot.models import Incident
from bot.oncall import leads, on_call
from bot.watchlists.entities import kind_route

__all__ = ["Change", "ChangeKind", "on_incident_change"]

log = logging.getLogger(__name__)


def card_key(incident_id: int, chat_id: str) -> str:
    """The uuid of an incident's card in a chat: one card per incident and chat, ever."""
    return f"i{incident_id}-card-{outbox.short_key(chat_id)}"


def _rank(grade: str | None) -> int:
    return Grade(grade).rank if grade else 0


def on_incident_change(session: Session, config: Config, incident: Incident, change: Change, now: datetime) -> None:
    """Queue what the chats should see about this change (new card, card update, thread reply)."""
    session.flush()
    t = Timing.from_config(config.alerting)
    if change.kind is ChangeKind.OPENED:
        _post_cards(session, config, incident, first_card_due(now, t), now)
        return
    raised = change.kind in (ChangeKind.GRADE_UP, ChangeKind.RESURGENCE) or (
        change.kind is ChangeKind.REGRADED
        and _rank(change.detail.get("to", incident.grade)) > _rank(change.detail.get("from")))
    if raised:  # a higher grade may route to more chats: a card there now, no group_wait
        _post_cards(session, config, incident, now, now)
    posted = queries.posted_cards(session, incident.id)
    _schedule_update(session, incident, change.kind, posted, now, t)
    if change.kind is ChangeKind.NOTE:
        _relay_note(session, config, incident, change, posted, now)
        return
    _thread_notice(session, config, incident, change, posted, now, t)


def _post_cards(session: Session, config: Config, incident: Incident, due: datetime, now: datetime) -> int:
    routed = chats_for(config.alerting, incident.brand, incident.grade, kind_route(config, incident.brand))
    chats = tuple(dict.fromkeys(routed + tier_chats(config, incident)))
    if not chats:
        log.warning("incident %s (%s): no chat is routed for it", incident.id, incident.grade)
    queued = 0
    for chat_id in chats:
        row = outbox.enqueue_once(session, key=card_key(incident.id, chat_id), kind="incident_card", chat_id=chat_id,
                                  msg_type="interactive", payload={}, now=now, due=due, incident_id=incident.id)
        queued += row is not None
    return queued


def _schedule_update(session: Session, incident: Incident, kind: ChangeKind, posted: dict[str, str],
                     now: datetime, t: Timing) -> None:
    # a card still waiting to be sent renders the change itself; one already picked up may have rendered before it
    in_flight = any(d.status == "pending" and d.attempts > 0 for d in queries.card_deliveries(session, incident.id))
    if not posted and not in_flight:
        return
    due = update_due(kind, now, queries.last_notified_at(session, incident.id), t)
    pending = queries.unstarted_update(session, incident.id)
    if pending is not None:
        pending.next_attempt_at = min(pending.next_attempt_at, due)
        return
    outbox.enqueue(session, kind="card_update", chat_id=None, msg_type="interactive", payload={}, now=now, due=due,
                   incident_id=incident.id)


def _thread_notice(session: Session, config: Config, incident: Incident, change: Change, posted: dict[str, str],
                   now: datetime, t: Timing) -> None:
    if not posted:
        return
    baseline = queries.items_at_last_notice(session, incident.id) or incident.item_count
    added = incident.item_count - baseline
    reason = thread_reason(change.kind, added, baseline, t)
    if reason is NotifyReason.NONE:
        return
    mentions = mentions_for(config.alerting, incident.grade, on_call(config, now), leads(config, now)) \
        if reason is not NotifyReason.NEW_ITEMS else ()
    content = thread_notice(reason, count=incident.item_count, added=added, before=change.detail.get("from"),
                            after=change.detail.get("to", incident.grade), reasons=tuple(incident.reasons or ()),
                            mentions=mentions)
    for chat_id in posted:
        key = f"i{incident.id}-{reason.value}-{incident.item_count}-{incident.grade}-{outbox.short_key(chat_id)}"
        outbox.enqueue_once(session, key=key, kind="thread_reply", chat_id=chat_id, msg_type="text",
                            payload={"content": content, "reason": reason.value, "item_count": incident.item_count},
                            now=now, incident_id=incident.id)
    log.info("incident %s: thread notice %s in %d chat(s)", incident.id, reason.value, len(posted))


def _relay_note(session: Session, config: Config, incident: Incident, change: Change, posted: dict[str, str],
                now: datetime) -> None:
    text = change.detail.get("text")
    if not text:
        return
    author = change.detail.get("author") or display_name(config, change.actor) or "成员"
    for chat_id in posted:
        if chat_id != change.detail.get("chat_id"):
            outbox.enqueue(session, kind="thread_reply", chat_id=chat_id, msg_type="text", now=now,
                           incident_id=incident.id, payload={"content": note_notice(author, text), "reason": "note"})
