"""Source health: last success, last error, consecutive failures, items fetched — and the ops chat notices.

After `scan.down_after` consecutive failures the ops chat (`scan.ops_chat`) gets one "source down" notice,
and one "recovered" notice at the next success; `Source.is_down` remembers which was sent. Notices go
through the outbox in the caller's transaction, with the health update.
"""
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.alerting.kinds import Outbound
from bot.alerting.pipeline import Outgoing, submit
from bot.config import Config
from bot.models import Source

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceHealth:
    name: str
    kind: str
    enabled: bool
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error: str | None
    consecutive_failures: int
    items_fetched: int
    is_down: bool


def ops_chat_id(config: Config) -> str | None:
    """The chat id of `scan.ops_chat`, or None (with a log line saying why)."""
    name = config.scan.ops_chat
    if name is None:
        log.warning("scan.ops_chat is not set: source health notices are only logged")
        return None
    if name not in config.alerting.chats:
        log.error("scan.ops_chat: chat %r is not defined under alerting.chats; notice not sent", name)
        return None
    return config.alerting.chats[name]


def _notify(session: Session, config: Config, row: Source, state: str, text: str, now: datetime) -> None:
    log.warning("%s", text)
    chat_id = ops_chat_id(config)
    if chat_id is not None:
        submit(session, config, Outgoing(Outbound.OPS_NOTICE, chats=(chat_id,), text=text,
                                         key=(row.name, state, now.isoformat())), now)


def record_success(session: Session, config: Config, row: Source, now: datetime, new_items: int) -> None:
    """A scan or push worked: reset the failure count; send "recovered" if "down" was sent."""
    row.last_success_at, row.consecutive_failures = now, 0
    row.items_fetched += new_items
    if row.is_down:
        row.is_down = False
        _notify(session, config, row, "up", f"✅ 数据源 {row.name} 已恢复 (source recovered)", now)


def record_failure(session: Session, config: Config, row: Source, reason: str, now: datetime) -> None:
    """A scan failed: count it; send "down" once the count reaches `scan.down_after`."""
    row.last_error_at, row.last_error = now, reason
    row.consecutive_failures += 1
    if not row.is_down and row.consecutive_failures >= config.scan.down_after:
        row.is_down = True
        _notify(session, config, row, "down", f"⚠️ 数据源 {row.name} 已连续失败 {row.consecutive_failures} 次 (source down): "
                                 f"{reason}", now)


def health_table(session: Session, config: Config) -> list[SourceHealth]:
    """Every configured source with its stored health (sources never scanned show empty health)."""
    rows = {r.name: r for r in session.scalars(select(Source))}
    table = []
    for spec in config.sources:
        r = rows.get(spec.name)
        if r is None:  # never scanned
            table.append(SourceHealth(spec.name, spec.kind, spec.enabled, None, None, None, 0, 0, False))
            continue
        table.append(SourceHealth(spec.name, spec.kind, spec.enabled, r.last_success_at, r.last_error_at,
                                  r.last_error, r.consecutive_failures, r.items_fetched, r.is_down))
    return table


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    seconds = int((now - when).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{max(seconds, 0)}s ago"


def render_health(rows: list[SourceHealth], config: Config, now: datetime) -> str:
    """The health table as text, one line per source, with a warning when notices have nowhere to go."""
    lines = [f"{'source':<24} {'kind':<8} {'status':<9} {'last success':<13} {'fails':>5} {'items':>7}  last error"]
    for r in rows:
        status = "disabled" if not r.enabled else "DOWN" if r.is_down else "failing" if r.consecutive_failures else "ok"
        error = f"{_ago(r.last_error_at, now)}: {r.last_error}" if r.last_error else ""
        lines.append(f"{r.name:<24} {r.kind:<8} {status:<9} {_ago(r.last_success_at, now):<13} "
                     f"{r.consecutive_failures:>5} {r.items_fetched:>7}  {error[:120]}")
    ops = config.scan.ops_chat
    if ops is None:
        lines.append("note: scan.ops_chat is not set, so source down/recovered notices are only logged")
    elif ops not in config.alerting.chats:
        lines.append(f"warning: scan.ops_chat {ops!r} is not defined under alerting.chats")
    return "\n".join(lines)
