"""The retention tick: delete community message text past its source's `retention_days`."""
import logging

from bot.config.sources import FeishuChatSource
from bot.items.retention import purge_expired_text
from bot.runtime import Runtime

log = logging.getLogger(__name__)


def purge_community_text(rt: Runtime) -> int:
    if not any(isinstance(s, FeishuChatSource) for s in rt.config.sources):
        return 0
    with rt.sessions() as session, session.begin():
        n = purge_expired_text(session, rt.config, rt.clock.now())
    if n:
        log.info("retention: deleted the text of %d community message(s)", n)
    return n
