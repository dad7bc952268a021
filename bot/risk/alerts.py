"""A jump of a watched entity's risk index over `watchlist.risk.jump_threshold` (today against yesterday)
tells the entity's owner, once a day: the day's row is claimed with a conditional update, so two replicas or
two ticks cannot both send it."""
import logging
from datetime import datetime
from typing import cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from bot.alerting.kinds import Outbound
from bot.alerting.pipeline import Outgoing, submit
from bot.alerting.routing import chats_for
from bot.cards.text import safe_text
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
        submit(session, config, Outgoing(Outbound.RISK_JUMP, chats=chats, text=jump_text(entity, today, yesterday,
                                                                                          threshold),
                                         mentions=(entity.owner,) if entity.owner else (),
                                         key=(entity.name, today.day.isoformat())), now)
        log.info("risk index of %s jumped to %s (+%.1f): told %d chat(s)", entity.name, today.index,
                 today.index - yesterday.index, len(chats))
        jumped.append(entity.name)
    return jumped
