"""Who alerts @-mention now: the rota's member on call (`response.rota`), else the fixed
`alerting.on_call` list; the leads of the rota, else `alerting.leads`."""
from datetime import datetime

from bot.config import Config
from bot.rota import on_call_at


def on_call(config: Config, now: datetime) -> list[str]:
    """The open_ids of the members on call at `now` (validated as ou_… by the config schema)."""
    rota = config.response.rota
    if rota.members or rota.overrides:
        return on_call_at(rota, now).open_ids
    return list(config.alerting.on_call)


def leads(config: Config, now: datetime) -> list[str]:
    """The open_ids of the leads, @-mentioned on 重大 alerts."""
    return list(config.response.rota.leads or config.alerting.leads)
