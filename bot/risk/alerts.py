"""A jump of a watched entity's risk index over `watchlist.risk.jump_threshold` (today against yesterday)
tells the entity's owner, once a day: the day's row is claimed with a conditional update, so two replicas or
two ticks cannot both send it."""
import logging
from datetime import datetime
from typing import cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from bot.alerting import outbox
from bot.alerting.routing import chats_for
from bot.cards.text import safe_text, text_mentions
from bot.config import Config
from bot.config.watchlist import KIND_LABELS, WatchedEntity
from bot.models import EntityRisk
from bot.risk.series import refresh
from bot.watchlists.entities import kind_route

log = logging.getLogger(__name__)


def risk_chats(config: Config, entity: WatchedEntity) -> tuple[str, ...]:
    """`watchlist.risk.chat`, else where the entity's incidents go."""
    name = config.watchlist.risk.chat
    if name:
        return (config.alerting.chats[name],)
    return chats_for(config.alerting, entity.name, None, kind_route(config, entity.name))


def jump_text(entity: WatchedEntity, today: EntityRisk, yesterday: EntityRisk, threshold: float) -> str:
    lines = [f"📈 舆情风险指数跳升：{safe_text(entity.name, 40)}（{KIND_LABELS[entity.kind]}）"
             f"今日 {today.index:g}，昨日 {yesterday.index:g}（+{today.index - yesterday.index:.1f}，阈值 {threshold:g}）"]
    lines += [f"· {safe_text(str(r), 100)}" for r in today.reasons[:4]]
    lines.append(f"详情：/risk {safe_text(entity.name, 40)}")
    at = text_mentions((entity.owner,) if entity.owner else ())
    if at:
        lines.append(at)
    return "\n".join(lines)


def check_jumps(session: Session, config: Config, now: datetime) -> list[str]:
    """Refresh yesterday's and today's index of every watched entity; alert each new jump. Returns who jumped."""
    threshold = config.watchlist.risk.jump_threshold
    jumped = []
    for entity in config.watchlist.entities:
        yesterday, today = refresh(session, entity.name, 2, now, config.response.tz)
        if today.index - yesterday.index < threshold or today.alerted_at is not None:
            continue
        claim = update(EntityRisk).where(EntityRisk.id == today.id, EntityRisk.alerted_at.is_(None)) \
            .values(alerted_at=now).execution_options(synchronize_session=False)
        if not cast(CursorResult, session.execute(claim)).rowcount:
            continue
        chats = risk_chats(config, entity)
        text = jump_text(entity, today, yesterday, threshold)
        for chat_id in chats:
            outbox.enqueue_once(session, key=f"risk-{outbox.short_key(entity.name, 12)}-{today.day:%Y%m%d}-"
                                             f"{outbox.short_key(chat_id, 8)}",
                                kind="message", chat_id=chat_id, msg_type="text", payload={"text": text}, now=now)
        log.info("risk index of %s jumped to %s (+%.1f): told %d chat(s)", entity.name, today.index,
                 today.index - yesterday.index, len(chats))
        jumped.append(entity.name)
    return jumped
