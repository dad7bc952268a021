"""The daily digest tick: at `response.digest.time` (local), one card to the lead's chat, once per day.

The delivery key holds the day, so a rerun, a restart or a second replica cannot send it twice; a bot
started after the hour sends that day's digest late, once (the card: `bot.incidents.digest`).
"""
import logging

from sqlalchemy.exc import IntegrityError

from bot.incidents.digest import queue_digest
from bot.runtime import Runtime

log = logging.getLogger(__name__)


def send_digest(rt: Runtime) -> str | None:
    """Queue today's digest if it is due and not queued yet; returns its key when queued now."""
    try:
        with rt.sessions() as session, session.begin():
            key = queue_digest(session, rt.config, rt.clock.now())
    except IntegrityError:
        return None  # another worker queued it first
    if key:
        log.info("digest %s queued", key)
    return key
