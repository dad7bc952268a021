"""What the chats should hear about an incident change: the decisions, as Alertmanager's dispatcher makes them.

Callers (the scan's incident grouping, the chat actions, escalation and follow-up) describe what changed;
`on_incident_change` decides what to send (routing by the grade now, storm-control policy) and hands it to the
pipeline (`bot.alerting.pipeline.submit`), which writes the outbox rows in the caller's transaction. Cards are
rendered when sent, so a queued card or update always shows the incident as it is then: a burst of items
folds into one card and one pending update per incident.

Races: every caller also updates the incident row, whose version column makes two concurrent writers of one
incident conflict, so "is an update already pending?" cannot be answered twice at once.
"""
import logging
from datetime import datetime

from sqlalchemy.orm import Session

from bot.alerting import queries
from bot.alerting.changes import Change, ChangeKind
from bot.alerting.kinds import Outbound
from bot.alerting.notices import note_notice, thread_notice
from bot.alerting.pipeline import Outgoing, submit
from bot.alerting.policy import NotifyReason, Timing, first_card_due, thread_reason, update_due
from bot.alerting.routing import mentions_for
from bot.alerting.views import display_name
from bot.config import Config
from bot.models import Incident
from bot.oncall import leads, on_call

__all__ = ["Change", "ChangeKind", "on_incident_change"]

log = logging.getLogger(__name__)

# a change of grade (either way) routes the card anew: other chats may be named now
REROUTE = frozenset({ChangeKind.GRADE_UP, ChangeKind.REGRADED, ChangeKind.RESURGENCE})


def on_incident_change(session: Session, config: Config, incident: Incident, change: Change, now: datetime) -> None:
    """Queue what the chats should see about this change (new card, card update, thread reply)."""
    session.flush()
    t = Timing.from_config(config.alerting)
    if change.kind is ChangeKind.OPENED:
        submit(session, config, Outgoing(Outbound.INCIDENT_CARD, incident, due=first_card_due(now, t)), now)
        return
    if change.kind in REROUTE:
        submit(session, config, Outgoing(Outbound.INCIDENT_CARD, incident, due=first_card_due(now, t)), now)
    posted = queries.posted_cards(session, incident.id)
    _schedule_update(session, config, incident, change.kind, posted, now, t)
    if change.kind is ChangeKind.NOTE:
        _relay_note(session, config, incident, change, posted, now)
        return
    _thread_notice(session, config, incident, change, posted, now, t)


def _schedule_update(session: Session, config: Config, incident: Incident, kind: ChangeKind, posted: dict[str, str],
                     now: datetime, t: Timing) -> None:
    # a card still waiting to be sent renders the change itself; one already picked up may have rendered before it
    in_flight = any(d.status == "pending" and d.attempts > 0 for d in queries.card_rows(session, incident.id))
    if not posted and not in_flight:
        return
    due = update_due(kind, now, queries.last_notified_at(session, incident.id), t)
    pending = queries.unstarted_update(session, incident.id)
    if pending is not None:
        pending.next_attempt_at = min(pending.next_attempt_at, due)
        return
    submit(session, config, Outgoing(Outbound.CARD_UPDATE, incident, due=due), now)


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
    text = thread_notice(reason, count=incident.item_count, added=added, before=change.detail.get("from"),
                         after=change.detail.get("to", incident.grade), reasons=tuple(incident.reasons or ()))
    rows = submit(session, config, Outgoing(
        Outbound.THREAD_NOTICE, incident, chats=tuple(posted), text=text, mentions=mentions,
        key=(reason.value, incident.item_count, incident.grade),
        meta={"reason": reason.value, "item_count": incident.item_count}), now)
    if rows:
        log.info("incident %s: thread notice %s in %d chat(s)", incident.id, reason.value, len(rows))


def _relay_note(session: Session, config: Config, incident: Incident, change: Change, posted: dict[str, str],
                now: datetime) -> None:
    text = change.detail.get("text")
    if not text:
        return
    author = change.detail.get("author") or display_name(config, change.actor) or "成员"
    chats = tuple(c for c in posted if c != change.detail.get("chat_id"))
    submit(session, config, Outgoing(Outbound.NOTE_RELAY, incident, chats=chats, text=note_notice(author, text),
                                     key=(now.isoformat(), change.actor, text)), now)
