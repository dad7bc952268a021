"""The risk-index tick: recompute every watched entity's index for yesterday and today, alert new jumps."""
from bot.risk.alerts import check_jumps
from bot.runtime import Runtime


def refresh_risk(rt: Runtime) -> list[str]:
    """One tick (every `watchlist.risk.interval_minutes` under `yuqing run`); returns the entities that jumped."""
    if not rt.config.watchlist.entities:
        return []
    with rt.sessions() as session, session.begin():
        return check_jumps(session, rt.config, rt.clock.now())
