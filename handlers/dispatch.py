"""The one dispatcher behind the HTTP intake, the long connection and the console.

Each event runs an ordered middleware chain inside one transaction, then its handler:

    message: drop the bot's own → dedupe event_id → member + role → thread → incident id → command text
    card:    dedupe event_id → member + role
    then:    registry lookup (unknown → usage + "did you mean") → role check → parse → handler

The processed_events row, the incident change, its timeline row and the reply's outbox row commit
together, so a redelivered event is handled once, also across a restart. A lost optimistic-lock race
re-runs the whole event; refusals and usage errors become replies, never tracebacks.
"""
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from bot.alerting.kinds import Outbound
from bot.alerting.pipeline import Outgoing, submit
from bot.config.team import TeamMember
from bot.db import transaction
from bot.feishu.events import CardActionEvent, MessageEvent
from bot.incidents.actions import Actor, UnknownIncident
from bot.state import InvalidTransition
from bot.models import IncidentMessage, ProcessedEvent
from bot.runtime import Runtime
from handlers.context import Context, Reply, UsageError, authorise
from handlers.registry import Registry

log = logging.getLogger(__name__)

ATTEMPTS = 3
INTERNAL_ERROR = "抱歉，处理这条指令时出错了，已记录日志，请稍后再试。"


@dataclass
class Turn:
    """One event on its way through the chain; middlewares fill it in or end it with `done`."""

    session: Session
    now: datetime
    event: MessageEvent | CardActionEvent
    via: str
    member: TeamMember | None = None
    thread_incident_id: int | None = None
    text: str | None = None
    done: bool = False
    reply: Reply | None = None

    def finish(self, reply: Reply | None = None) -> None:
        self.done, self.reply = True, reply


Middleware = Callable[[Turn], None]
CardHandler = Callable[[Context, CardActionEvent], Reply]


# -- middlewares ---------------------------------------------------------------------------------------
def drop_bots(turn: Turn) -> None:
    if isinstance(turn.event, MessageEvent) and turn.event.sender_type != "user":
        turn.finish()


def dedupe(turn: Turn) -> None:
    """Insert the event id; the primary key decides whether we have handled it already."""
    kind = "message" if isinstance(turn.event, MessageEvent) else "card"
    if not _first_time(turn.session, turn.event.event_id, turn.now, kind):
        log.info("event %s already handled: ignored", turn.event.event_id)
        turn.finish(Reply(toast="这个操作已处理过", tone="info") if kind == "card" else None)


def thread_incident(turn: Turn) -> None:
    root = getattr(turn.event, "root_id", None)
    if root:
        turn.thread_incident_id = turn.session.scalar(
            select(IncidentMessage.incident_id).where(IncidentMessage.message_id == root).limit(1))


def command_text(turn: Turn) -> None:
    """Keep only messages addressed to the bot (an @mention of it, a leading slash, or a private chat)."""
    ev = turn.event
    if not isinstance(ev, MessageEvent):
        return
    bots = [m for m in ev.mentions if m.is_bot]
    if not bots and ev.mentions and not any(m.is_bot for m in ev.mentions) and ev.text.lstrip().startswith(
            ev.mentions[0].key):
        bots = [ev.mentions[0]]  # payloads without mentioned_type: in a group the bot only gets its @s
    text = ev.text
    for m in bots:
        text = text.replace(m.key, " ")
    text = text.strip()
    if text.startswith("／"):
        text = "/" + text[1:]
    if bots or ev.chat_type == "p2p" or text.startswith("/"):
        turn.text = text
    else:
        turn.finish()


MESSAGE_CHAIN: tuple[Middleware, ...] = (drop_bots, dedupe, thread_incident, command_text)
CARD_CHAIN: tuple[Middleware, ...] = (dedupe,)


class Dispatcher:
    def __init__(self, rt: Runtime, registry: Registry, card_handler: CardHandler):
        self.rt, self.registry, self.card_handler = rt, registry, card_handler
        self.team = rt.config.team

    # -- entry points ------------------------------------------------------------------------------
    def handle_message(self, event: MessageEvent, via: str = "command", deliver: bool = True) -> Reply | None:
        """Run a chat message; with `deliver`, the reply is queued as a thread reply in the same transaction."""
        def run(session: Session) -> Reply | None:
            turn = self._turn(session, event, via)
            reply = self._chain(turn, MESSAGE_CHAIN) or self._command(turn)
            if reply is not None and (reply.text or reply.card) and deliver:
                self._queue_reply(session, event, reply)
            return reply
        return self._run(event, run, deliver)

    def handle_card(self, event: CardActionEvent, via: str = "button") -> Reply:
        """Run a card button press; the reply carries the toast and the new card."""
        def run(session: Session) -> Reply:
            turn = self._turn(session, event, via)
            reply = self._chain(turn, CARD_CHAIN)
            if turn.done:
                return reply or Reply()
            return self._guarded(lambda: self.card_handler(self._context(turn), event))
        return self._run(event, run, deliver=False) or Reply.refused(INTERNAL_ERROR, "error")

    # -- internals ---------------------------------------------------------------------------------------
    def _turn(self, session: Session, event, via: str) -> Turn:
        who = event.sender_open_id if isinstance(event, MessageEvent) else event.operator_open_id
        return Turn(session, self.rt.clock.now(), event, via, member=self.team.member(who))

    @staticmethod
    def _chain(turn: Turn, chain: tuple[Middleware, ...]) -> Reply | None:
        for middleware in chain:
            middleware(turn)
            if turn.done:
                return turn.reply
        return None

    def _context(self, turn: Turn) -> Context:
        ev = turn.event
        who = ev.sender_open_id if isinstance(ev, MessageEvent) else ev.operator_open_id
        actor = Actor(who, turn.member.name if turn.member else (who or "未知用户"), ev.chat_id, turn.via)
        return Context(turn.session, turn.now, actor, turn.member, ev.chat_id, turn.thread_incident_id,
                       getattr(ev, "mentions", ()))

    def _command(self, turn: Turn) -> Reply | None:
        if turn.done:
            return turn.reply
        word, _, rest = (turn.text or "").partition(" ")
        word = word.strip().removeprefix("/")
        if not word:
            return Reply(text="你好，我是舆情值班机器人。发送 /help 查看我能做什么。")
        spec = self.registry.lookup(word)
        if spec is None:
            guess = self.registry.suggest(word)
            hint = f"你是不是想用 {guess.usage}？" if guess else ""
            return Reply.refused(f"不认识的指令「{word}」。{hint}发送 /help 查看全部指令。")
        refusal = authorise(turn.member, spec.min_role, f"使用 /{spec.name}", self._context(turn).actor.open_id)
        if refusal is not None:
            return refusal
        ctx = self._context(turn)
        try:
            args = spec.parse(ctx, rest.strip())
        except UsageError as exc:
            return Reply.refused(f"{exc}。用法：{spec.usage}")
        return self._guarded(lambda: spec.run(ctx, args))

    @staticmethod
    def _guarded(fn: Callable[[], Reply]) -> Reply:
        try:
            return fn()
        except InvalidTransition as exc:
            return Reply.refused(exc.reason)
        except UnknownIncident as exc:
            return Reply.refused(str(exc))
        except UsageError as exc:
            return Reply.refused(str(exc))

    def _run(self, event, run: Callable[[Session], Reply | None], deliver: bool) -> Reply | None:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with transaction(self.rt.sessions) as session:
                    return run(session)
            except StaleDataError:
                log.info("event %s lost a race (attempt %d): re-reading", event.event_id, attempt)
            except Exception:
                log.exception("event %s: handler failed", event.event_id)
                break
        reply = Reply.refused(INTERNAL_ERROR, "error")
        if isinstance(event, MessageEvent) and deliver:
            with transaction(self.rt.sessions) as session:  # the error reply still goes out, once
                if _first_time(session, event.event_id, self.rt.clock.now()):
                    self._queue_reply(session, event, reply)
        return reply

    def _queue_reply(self, session: Session, event: MessageEvent, reply: Reply) -> None:
        """The answer in the command's thread: the card when there is one (/status, /report), else the text."""
        submit(session, self.rt.config, Outgoing(
            Outbound.COMMAND_REPLY, chats=(event.chat_id,), reply_to=event.message_id, key=(event.event_id,),
            card=reply.card or None, text=None if reply.card else reply.text,
            meta={"event_id": event.event_id}), self.rt.clock.now())  # for the event → reply latency metric


def _first_time(session: Session, event_id: str, now: datetime, kind: str = "message") -> bool:
    try:
        with session.begin_nested():
            session.add(ProcessedEvent(event_id=event_id, kind=kind, received_at=now))
        return True
    except IntegrityError:
        return False


def new_event_id() -> str:
    return f"local-{uuid.uuid4().hex}"
