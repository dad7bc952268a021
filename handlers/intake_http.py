"""POST /feishu/events: the event subscription and card callbacks, on one URL.

Verified and decrypted by bot.feishu.events (4xx and a log line for anything that fails), then:
URL check → the challenge; a message → the worker, answered at once; a button → the transition now,
answered with a toast and the new card (Feishu waits at most 3 s).
"""
import logging

from bot.config.secrets import FeishuSecrets
from bot.feishu.events import CardActionEvent, Challenge, EventRejected, MessageEvent, open_envelope, parse_event
from handlers.context import Reply
from handlers.dispatch import Dispatcher
from handlers.http_server import Request, Response, json_error
from handlers.worker import CommandWorker

log = logging.getLogger(__name__)


def card_response(reply: Reply) -> dict:
    """The body Feishu expects back from card.action.trigger: a toast and/or the card to show."""
    out: dict = {}
    if reply.toast:
        out["toast"] = {"type": reply.tone, "content": reply.toast}
    if reply.card is not None:
        out["card"] = {"type": "raw", "data": reply.card}
    return out


class HttpIntake:
    def __init__(self, secrets: FeishuSecrets, dispatcher: Dispatcher, worker: CommandWorker):
        self.token = secrets.verification_token.get_secret_value() if secrets.verification_token else None
        self.key = secrets.encrypt_key.get_secret_value() if secrets.encrypt_key else None
        self.dispatcher, self.worker = dispatcher, worker

    def handle(self, req: Request) -> Response:
        try:
            doc = open_envelope(req.body, req.headers, self.token, self.key)
            if isinstance(doc, Challenge):
                log.info("Feishu URL verification answered")
                return Response(200, {"challenge": doc.challenge})
            event = parse_event(doc)
        except EventRejected as exc:
            log.warning("POST %s from %s refused: %s %s", req.path, req.client, exc.status, exc.reason)
            return json_error(exc.status, exc.reason)
        if isinstance(event, MessageEvent):
            self.worker.submit(event)
            return Response(200, {})
        if isinstance(event, CardActionEvent):
            return Response(200, card_response(self.dispatcher.handle_card(event)))
        log.info("event %s of type %s ignored: not subscribed to by this bot", event.event_id, event.event_type)
        return Response(200, {})
