"""All the bot's HTTP routes, in one list: each intake module contributes its own."""
from handlers.http_server import Route
from handlers.ingest_webhook import ingest_routes
from handlers.risk_api import risk_routes


def build_routes(rt, chatops=None) -> list[Route]:
    """The routes `yuqing run` serves, for this runtime (and its chat-ops, when given)."""
    routes: list[Route] = []
    if chatops is not None:
        routes += chatops.routes()  # POST /feishu/events
    routes += ingest_routes(rt)
    routes += risk_routes(rt)
    return routes
