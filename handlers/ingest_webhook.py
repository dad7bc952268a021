"""`POST /ingest/{source}`: items pushed by crawlers into a `webhook` source.

The token comes in `Authorization: Bearer …`, `X-Yuqing-Token` or weibo-crawler's `api-token` header and
is compared in constant time with the one in the environment variable the source names. The body is one
item, a JSON array, `{"items": [...]}`, or weibo-crawler's post mode (`{"user": …, "weibo": [...]}`, sent
as GET with a body, which is why GET is routed too). Answers 202 with counts and per-item errors;
weibo-crawler's own payload gets 200, the only status it takes as success. A resent item is stored once.
"""
import hmac
import logging
import os
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool

from bot.config.sources import SourceBase, WebhookSource
from handlers.http_server import Request, Response, Route, json_error
from jobs.scan import ScanReport, ingest_records
from jobs.sources.webhook import WEIBO_CRAWLER_FIELDS, BadPayload, parse_payload

log = logging.getLogger(__name__)


def _token(req: Request) -> str:
    auth = req.headers.get("Authorization") or ""
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return (req.headers.get("X-Yuqing-Token") or req.headers.get("api-token") or "").strip()


# stores a batch of records and fills the report; returns how many were usable (jobs.scan.ingest_records, or
# jobs.ingest_process.IngestProcess.ingest under `yuqing run`)
Ingest = Callable[[SourceBase, list, dict[str, str], ScanReport], int]


class IngestWebhook:
    def __init__(self, rt, env: dict[str, str] | None = None, ingest: Ingest | None = None):
        self.rt = rt
        self.env = env
        self.ingest: Ingest = ingest or (lambda spec, records, fields, report:
                                         ingest_records(rt, spec, records, fields, report))

    def _spec(self, name: str) -> WebhookSource | None:
        for spec in self.rt.config.sources:
            if spec.name == name and spec.kind == "webhook" and spec.enabled:
                return spec
        return None

    def __call__(self, req: Request) -> Response:
        name = req.params["source"]
        spec = self._spec(name)
        if spec is None:
            return json_error(404, f"no enabled webhook source named {name!r}")
        expected = (os.environ if self.env is None else self.env).get(spec.token_env)
        if not expected:
            log.error("ingest %s: environment variable %s is not set; refusing pushes", name, spec.token_env)
            return json_error(503, "this source has no token configured")
        if not hmac.compare_digest(_token(req).encode(), expected.encode()):
            log.warning("ingest %s: bad or missing token from %s", name, req.client)
            return json_error(401, "bad or missing token")
        try:
            records, fields = parse_payload(req.body, spec.fields)
        except BadPayload as exc:
            log.warning("ingest %s: rejected body from %s: %s", name, req.client, exc)
            return json_error(400, str(exc))
        return self._store(spec, records, fields)

    def _store(self, spec: WebhookSource, records: list, fields: dict[str, str]) -> Response:
        report = ScanReport(spec.name, fetched=len(records))
        try:
            usable = self.ingest(spec, records, fields, report)
        except BrokenProcessPool:
            log.error("ingest %s: the ingest process died during a push of %d records", spec.name, len(records))
            return json_error(503, "the ingest process stopped during this push; send it again (what was stored "
                                   "is kept once)")
        log.info("ingest %s: %d received, %d new, %d duplicates, %d rejected", spec.name, len(records), report.new,
                 usable - report.new, len(report.rejected))
        body = {"received": len(records), "accepted": usable, "stored": report.new,
                "duplicates": usable - report.new, "matched": report.matched,
                "rejected": [{"index": i, "error": reason} for i, reason in report.rejected]}
        return Response(200 if fields is WEIBO_CRAWLER_FIELDS else 202, body)


def ingest_routes(rt, env: dict[str, str] | None = None, ingest: Ingest | None = None) -> list[Route]:
    """The webhook's routes: POST, and GET for weibo-crawler, which sends its body with GET."""
    handler = IngestWebhook(rt, env, ingest)
    return [Route("POST", "/ingest/{source}", handler), Route("GET", "/ingest/{source}", handler)]
