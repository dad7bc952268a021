"""The silence tick: every 30 s, release what ended silences held back (`bot.incidents.silencing`)."""
from bot.incidents.silencing import release_ended
from bot.runtime import Runtime


def release_silences(rt: Runtime) -> int:
    with rt.sessions() as session, session.begin():
        return release_ended(session, rt.config, rt.clock.now())
