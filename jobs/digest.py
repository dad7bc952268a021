"""The daily digest: at `response.digest.time` (local), one card to the lead's chat, once per day.

The delivery uuid `digest-YYYY-MM-DD` is unique, so a rerun, a restart or a second replica cannot send it
twice; a bot started after the hour sends that day's digest late, once.
"""
import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.alerting import outbox
from bot.cards.digest import render_digest_card
from bot.config import Config
from bot.config.response import parse_hhmm
from bot.incidents.digest import load_digest
from bot.models import Delivery
from bot.runtime import Runtime

log = logging.getLogger(__name__)


def digest_chat(config: Config) -> str | None:
    """The chat id of `response.digest.chat`, else the first chat of the default route."""
    name = config.response.digest.chat
    if name:
        return config.alerting.chats.get(name)
    chats = config.alerting.chat_ids_for(None)
    return chats[0] if chats else None


def send_digest(rt: Runtime) -> str | None:
    """Queue today's digest if it is due and not queued yet; returns its key when queued now."""
    cfg, now = rt.config.response, rt.clock.now()
    local = now.astimezone(cfg.tz)
    if not cfg.digest.enabled or local.time() < parse_hhmm(cfg.digest.time):
        return None
    chat = digest_chat(rt.config)
    if chat is None:
        log.warning("digest: response.digest.chat %r is not under alerting.chats; not sent", cfg.digest.chat)
        return None
    key = f"digest-{local.date().isoformat()}"
    with rt.sessions() as session, session.begin():
        if session.scalar(select(Delivery.id).where(Delivery.uuid == key)) is not None:
            return None
        card = render_digest_card(load_digest(session, rt.config, now))
        try:
            with session.begin_nested():
                outbox.enqueue(session, kind="message", chat_id=chat, msg_type="interactive", payload=card,
                               now=now, key=key)
                session.flush()
        except IntegrityError:
            return None  # another worker queued it first
    log.info("digest %s queued for %s", key, chat)
    return key

