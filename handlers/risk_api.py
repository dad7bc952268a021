"""`GET /api/risk/{name}?days=N&format=json|csv`: a watched entity's daily risk index for a risk system.

The caller sends `Authorization: Bearer <token>`, compared in constant time with the environment variable
`watchlist.risk.api_token_env` names (503 while it is unset, 401 for a wrong token); `name` is the entity's name
or an alias (404 otherwise); `days` is 1–365 (default 30, 400 otherwise)."""
import hmac
import logging
import os
from urllib.parse import unquote

from bot.risk.report import MAX_DAYS, as_csv, risk_report
from bot.watchlists.entities import find_entity
from handlers.http_server import Request, Response, Route, json_error

log = logging.getLogger(__name__)
DEFAULT_DAYS = 30


def _bearer(req: Request) -> str:
    auth = req.headers.get("Authorization") or ""
    return auth[7:].strip() if auth.lower().startswith("bearer ") else ""


class RiskApi:
    def __init__(self, rt, env: dict[str, str] | None = None):
        self.rt = rt
        self.env = env

    def __call__(self, req: Request) -> Response:
        config = self.rt.config
        var = config.watchlist.risk.api_token_env
        expected = (os.environ if self.env is None else self.env).get(var)
        if not expected:
            log.error("GET /api/risk: environment variable %s is not set; refusing", var)
            return json_error(503, "the risk API has no token configured")
        if not hmac.compare_digest(_bearer(req).encode(), expected.encode()):
            log.warning("GET /api/risk: bad or missing token from %s", req.client)
            return json_error(401, "bad or missing token")
        name = unquote(req.params["name"])
        entity = find_entity(config, name)
        if entity is None:
            return json_error(404, f"{name!r} is not a watched entity")
        raw_days = (req.query.get("days") or [str(DEFAULT_DAYS)])[0]
        if not raw_days.isdigit() or not 1 <= int(raw_days) <= MAX_DAYS:
            return json_error(400, f"days must be an integer from 1 to {MAX_DAYS}")
        fmt = (req.query.get("format") or ["json"])[0]
        if fmt not in ("json", "csv"):
            return json_error(400, "format must be json or csv")
        with self.rt.sessions() as session, session.begin():
            report = risk_report(session, config, entity, int(raw_days), self.rt.clock.now())
        if fmt == "csv":
            return Response(200, as_csv(report), {"Content-Type": "text/csv; charset=utf-8"})
        return Response(200, report.as_json())


def risk_routes(rt, env: dict[str, str] | None = None) -> list[Route]:
    return [Route("GET", "/api/risk/{name}", RiskApi(rt, env))]
