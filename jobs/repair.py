"""The trust-repair tick: for each incident with a recent statement, post the windows that closed and ask for
the 补充调查报告 when doubts persist (each once; bot/incidents/repair.py)."""
import logging

from bot.incidents.repair import track_incident, tracked_ids
from bot.runtime import Runtime

log = logging.getLogger(__name__)


def run_repair(rt: Runtime) -> int:
    """One tick; returns the messages queued. Each incident in its own transaction."""
    if not rt.config.repair.enabled:
        return 0
    now = rt.clock.now()
    with rt.sessions() as session:
        ids = tracked_ids(session, rt.config.repair, now)
    queued = 0
    for incident_id in ids:
        with rt.sessions() as session, session.begin():
            queued += track_incident(session, rt.config, incident_id, now)
    if queued:
        log.info("trust repair: %d message(s) queued", queued)
    return queued
