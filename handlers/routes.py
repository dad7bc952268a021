"""All the bot's HTTP routes, in one list: each intake module contributes its own."""
from handlers.http_server import Route


def build_routes(rt) -> list[Route]:
    """The routes `yuqing run` serves, for this runtime."""
    routes: list[Route] = []
    return routes
