"""All the bot's HTTP routes, in one list: each intake module contributes its own."""
from bot.metrics import exposition
from handlers.http_server import Request, Response, Route
from handlers.ingest_webhook import Ingest, ingest_routes
from handlers.risk_api import risk_routes

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


def metrics_route(rt) -> Route:
    """GET /metrics: Prometheus's text format (bot.metrics)."""
    def handle(_req: Request) -> Response:
        return Response(200, exposition(rt.sessions, rt.clock), {"Content-Type": PROMETHEUS_TEXT})

    return Route("GET", "/metrics", handle)


def build_routes(rt, chatops=None, ingest: Ingest | None = None) -> list[Route]:
    """The routes `yuqing run` serves, for this runtime (and its chat-ops, when given; pushed batches stored by
    `ingest`, when given)."""
    routes: list[Route] = []
    if chatops is not None:
        routes += chatops.routes()  # POST /feishu/events
    routes += ingest_routes(rt, ingest=ingest)
    routes.append(metrics_route(rt))
    routes += risk_routes(rt)
    return routes
