"""Chat-ops assembled for one runtime: the registry, the dispatcher, the worker and the intakes."""
from typing import TYPE_CHECKING

from bot.alerting.notify import on_incident_change
from bot.incidents.actions import IncidentActions, Notify
from bot.runtime import Runtime
from bot.wakeup import SIGNALS, Signals
from handlers import (drill_commands, feedback_commands, help, incident_commands, repair_commands, risk_commands,
                      silence_commands, status_commands)
from handlers.card_actions import CardActions, RenderCard
from handlers.community import CommunityIntake
from handlers.dispatch import Dispatcher
from handlers.http_server import Route
from handlers.intake_http import HttpIntake
from handlers.registry import Registry
from handlers.worker import CommandWorker

if TYPE_CHECKING:  # the long connection loads the SDK's websocket client only when it is used
    from handlers.intake_ws import WsIntake


def build_registry(actions: IncidentActions) -> Registry:
    """Every command, in the order /help lists them."""
    registry = Registry()
    incident_commands.register(registry, actions)
    status_commands.register(registry, actions.config)
    drill_commands.register(registry, actions.config)
    risk_commands.register(registry, actions.config)
    repair_commands.register(registry)
    silence_commands.register(registry, actions.team, actions.config)
    feedback_commands.register(registry)
    help.register(registry)
    return registry


def default_card_renderer(rt: Runtime) -> RenderCard | None:
    """The alerting work's incident card (the same render the delivery worker sends)."""
    try:
        from bot.alerting.views import build_incident_view
        from bot.cards.incident import render_incident_card
    except ImportError:
        return None
    return lambda session, incident: render_incident_card(build_incident_view(session, incident, rt.config,
                                                                              rt.clock.now()))


class ChatOps:
    def __init__(self, rt: Runtime, notify: Notify = on_incident_change, render_card: RenderCard | None = None,
                 signals: Signals | None = SIGNALS):
        self.rt = rt
        self.actions = IncidentActions(rt.config, notify)
        self.registry = build_registry(self.actions)
        self.cards = CardActions(self.actions, render_card if render_card is not None else default_card_renderer(rt))
        self.dispatcher = Dispatcher(rt, self.registry, self.cards)
        self.worker = CommandWorker(CommunityIntake(rt, self.dispatcher.handle_message), rt.sessions, rt.clock,
                                    signals=signals)
        self.http = HttpIntake(rt.loaded.secrets, self.dispatcher, self.worker)
        self.ws: "WsIntake | None" = None

    def start(self) -> "ChatOps":
        """Start the message worker, and the long connection when feishu.event_mode is ws."""
        self.worker.start()
        secrets = self.rt.loaded.secrets
        if self.rt.config.feishu.event_mode == "ws" and secrets.can_send:
            from handlers.intake_ws import WsIntake

            app_id, app_secret = secrets.credentials()
            self.ws = WsIntake(app_id, app_secret, self.rt.config.feishu.domain, self.dispatcher, self.worker).start()
        return self

    def routes(self) -> list[Route]:
        return [Route("POST", "/feishu/events", self.http.handle)]

    def close(self) -> None:
        if self.ws is not None:
            self.ws.stop()
        self.worker.stop()
