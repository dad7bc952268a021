"""The `yuqing` command: parse arguments, load the config, call the jobs and services. No logic here.

This is the composition root, so it is the one module in bot/ that imports jobs/ (lazily, per command).
"""
import logging
import os
import sys
from datetime import timedelta
from pathlib import Path

import click

from bot.config import DEFAULT_PATH, ConfigError, LoadedConfig, load_config

CONFIG_HELP = "Path of config.yaml (default: $YUQING_CONFIG or ./config.yaml)."


def _config_option(f):
    return click.option("-c", "--config", "config_path", default=lambda: os.environ.get("YUQING_CONFIG", DEFAULT_PATH),
                        show_default="config.yaml", help=CONFIG_HELP)(f)


def _load(path: str) -> LoadedConfig:
    try:
        return load_config(path)
    except ConfigError as exc:
        click.echo(f"{path}: {len(exc.problems)} problem(s)", err=True)
        click.echo(exc.render(), err=True)
        sys.exit(2)


def masked_url(url: str) -> str:
    from bot.db import masked_url as mask

    return mask(url)


def _runtime(loaded: LoadedConfig):
    from bot.runtime import Runtime

    try:
        return Runtime.open(loaded)
    except Exception as exc:  # a bad URL or an unreachable database: say which, no traceback
        click.echo(f"database {masked_url(loaded.database_url)}: cannot open: {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)


def _sink(loaded: LoadedConfig, dry_run: bool):
    from jobs.deliver import TerminalSink

    if dry_run or not loaded.secrets.can_send:
        return TerminalSink()
    from bot.feishu.client import FeishuClient

    fs = loaded.config.feishu
    app_id, app_secret = loaded.secrets.credentials()
    return FeishuClient(app_id, app_secret, fs.domain, fs.timeout)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log debug detail.")
@click.version_option(package_name="yuqing")
def main(verbose: bool) -> None:
    """yuqing — 舆情 alerting bot: scans sources, grades incidents, alerts Feishu group chats.

    Secrets come from the environment: FEISHU_APP_ID, FEISHU_APP_SECRET, FEISHU_VERIFICATION_TOKEN,
    FEISHU_ENCRYPT_KEY; YUQING_DATABASE_URL overrides database.url. Without app credentials, cards
    are printed in the terminal instead of sent.
    """
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "apscheduler.executors.default", "Lark", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@main.command("check-config")
@_config_option
@click.option("--offline", is_flag=True,
              help="Checking a config for another machine: missing paths and environment variables are warnings.")
def check_config(config_path: str, offline: bool) -> None:
    """Validate config.yaml and what it refers to: exit 0 if good, else 2 with every problem and its key path.

    Beyond the schema: chat, brand and source names resolve and are unique, paths exist, token_env and
    ${VAR} variables are set, the database driver is installed, and the file holds no database password.
    """
    from bot.config.environment import environment_findings

    loaded = _load(config_path)
    findings = environment_findings(loaded, offline=offline)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        click.echo(f"{config_path}: {len(errors)} problem(s)", err=True)
    for f in findings:
        click.echo(f"{f.path}: {f.reason}" + (" (warning)" if f.severity == "warning" else ""), err=True)
    if errors:
        sys.exit(2)
    c = loaded.config
    click.echo(f"{config_path}: OK ({len(c.sources)} sources, {len(c.brands)} brands, "
               f"Feishu credentials {'set' if loaded.secrets.can_send else 'not set: cards go to the terminal'}"
               + (f", {len(findings)} warning(s)" if findings else "") + ")")


@main.group("db")
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@_config_option
def db_upgrade(config_path: str) -> None:
    """Apply the Alembic migrations to the configured database."""
    from bot.migrate import upgrade

    loaded = _load(config_path)
    try:
        upgrade(loaded.database_url)
    except Exception as exc:
        click.echo(f"database {masked_url(loaded.database_url)}: upgrade failed: {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)
    click.echo(f"database {masked_url(loaded.database_url)}: up to date")


@main.command("scan")
@_config_option
@click.option("--once", is_flag=True, help="Scan each source once and exit (otherwise keep scanning on schedule).")
@click.option("--dry-run", is_flag=True, help="Print the cards in the terminal and store nothing.")
@click.option("--source", "only", metavar="NAME", help="Scan only this source (even if disabled).")
def scan(config_path: str, once: bool, dry_run: bool, only: str | None) -> None:
    """Fetch the configured sources, store new items, and alert on those naming a brand."""
    from jobs.deliver import TerminalSink, drain
    from jobs.http import make_http_client
    from jobs.scan import scan_all

    loaded = _load(config_path)
    if only and only not in {s.name for s in loaded.config.sources}:
        click.echo(f"--source {only}: no such source in {config_path}", err=True)
        sys.exit(2)
    if not once and not dry_run:
        return _serve(loaded, only_scans=True)
    rt = _runtime(loaded)
    if dry_run:
        from bot.db import RollbackOnlySessions

        rt.sessions = RollbackOnlySessions(rt.engine)
    with make_http_client(loaded.config.scan) as http:
        reports = scan_all(rt, http, only)
        # a one-shot run shows its cards now: include those only waiting for group_wait / group_interval
        wait = timedelta(seconds=loaded.config.alerting.group_wait + loaded.config.alerting.group_interval)
        delivered = drain(rt, TerminalSink() if dry_run else _sink(loaded, False), horizon=wait)
    if dry_run:
        rt.sessions.rollback_all()
    for r in reports:
        status = f"error: {r.error}" if r.error else f"{r.fetched} fetched, {r.new} new, {r.matched} matching"
        click.echo(f"{r.source}: {status}", err=True)
    click.echo(f"cards: {delivered.sent} sent, {delivered.retried} to retry, {delivered.failed} failed"
               + (" (dry run: nothing stored)" if dry_run else ""), err=True)
    if reports and all(r.error for r in reports):
        click.echo("every source failed", err=True)
        sys.exit(1)


@main.command("run")
@_config_option
def run(config_path: str) -> None:
    """Run the bot: scan every source on its interval and deliver alerts, until Ctrl-C or SIGTERM.

    Serves /feishu/events, /ingest/{source}, /healthz, /readyz and /metrics on server.host:port. Scans and pushed
    batches are analysed in one child process, so replies are not held up by a big ingest. Replicas on one
    PostgreSQL share the work (each source scanned by one of them per interval).
    """
    _serve(_load(config_path), only_scans=False)


def _serve(loaded: LoadedConfig, only_scans: bool) -> None:
    from jobs.deliver import DeliveryWorker
    from jobs.http import make_http_client
    from jobs.ingest_process import IngestProcess
    from jobs.scheduler import Heartbeat, build_scheduler, run_until_stopped

    rt = _runtime(loaded)
    sink = _sink(loaded, False)
    if not loaded.secrets.can_send:
        click.echo("Feishu credentials not set: cards are printed here instead of sent.", err=True)
    server = chat = listener = None
    heartbeat = Heartbeat()
    if rt.engine.dialect.name == "postgresql":  # other replicas' rows wake this one's workers too
        from bot.wakeup import Listener

        listener = Listener(loaded.database_url).start()
    delivery = DeliveryWorker(rt, sink).start()
    # serving events and commands: the scans' CPU-bound analysis runs in a child process, off this one's GIL
    ingest = None if only_scans else IngestProcess(loaded).start()
    with make_http_client(loaded.config.scan) as http:
        scheduler = build_scheduler(rt, http, heartbeat, scanner=ingest)
        if not only_scans:
            from bot.readiness import database_problem
            from handlers.app import ChatOps
            from handlers.http_server import HttpServer, Limits
            from handlers.routes import build_routes

            srv = loaded.config.server
            limits = Limits(max_body=srv.max_body_bytes, max_connections=srv.max_connections,
                            header_timeout=srv.header_timeout, body_timeout=srv.body_timeout)
            chat = ChatOps(rt)  # chat commands and card buttons; started once the server listens
            try:
                server = HttpServer(srv.host, srv.port, build_routes(rt, chat, ingest.ingest if ingest else None),
                                    limits=limits,
                                    readiness=lambda: {"database": database_problem(rt.engine),
                                                       "scheduler": heartbeat.problem()}).start()
            except OSError as exc:
                click.echo(f"server: cannot listen on {srv.host}:{srv.port}: {exc.strerror or exc}", err=True)
                sys.exit(1)
            chat.start()
        try:
            run_until_stopped(scheduler)
        finally:
            if server is not None:
                server.stop()
            if chat is not None:
                chat.close()
            if ingest is not None:
                ingest.stop()
            delivery.stop()
            if listener is not None:
                listener.stop()
            rt.close()


@main.command("console")
@_config_option
@click.option("--as", "who", metavar="NAME|OPEN_ID", help="The team member to play (default: the first in team.members).")
def console(config_path: str, who: str | None) -> None:
    """Talk to the bot as a team member, against the local database: commands in, replies and cards out.

    Reads commands from stdin (one per line), so it also runs from a script or a pipe.
    """
    from handlers.app import ChatOps
    from handlers.console import run_console

    rt = _runtime(_load(config_path))
    try:
        code = run_console(ChatOps(rt), who)
    finally:
        rt.close()
    sys.exit(code)


@main.command("report")
@_config_option
@click.argument("incident_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["md", "text"]), default="md", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE, not stdout.")
def report(config_path: str, incident_id: int, fmt: str, output: Path | None) -> None:
    """The post-incident review (复盘) of INCIDENT_ID: timeline, deadlines met or missed, volume, notes, lessons."""
    from bot.incidents.review import load_review, render_review_md, render_review_text

    rt = _runtime(_load(config_path))
    try:
        with rt.sessions() as session:
            review = load_review(session, rt.config, incident_id, rt.clock.now())
    finally:
        rt.close()
    if review is None:
        click.echo(f"no incident #{incident_id}", err=True)
        sys.exit(1)
    text = render_review_md(review) if fmt == "md" else render_review_text(review)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


@main.command("risk")
@_config_option
@click.argument("name")
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 365), help="How many days, today included.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
def risk(config_path: str, name: str, days: int, fmt: str) -> None:
    """The daily 舆情 risk index of the watched entity NAME (name or alias), recomputed from the stored items."""
    import json

    from bot.risk.report import as_csv, risk_report
    from bot.watchlists.entities import find_entity

    loaded = _load(config_path)
    entity = find_entity(loaded.config, name)
    if entity is None:
        known = ", ".join(e.name for e in loaded.config.watchlist.entities) or "none: watchlist.entities is empty"
        click.echo(f"{name!r} is not a watched entity (watchlist.entities: {known})", err=True)
        sys.exit(2)
    rt = _runtime(loaded)
    try:
        with rt.sessions() as session, session.begin():
            result = risk_report(session, rt.config, entity, days, rt.clock.now())
    finally:
        rt.close()
    click.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2) if fmt == "json" else as_csv(result), nl=fmt == "json")


@main.command("deliveries")
@_config_option
@click.option("--status", type=click.Choice(["failed", "pending", "sent", "held", "withdrawn", "all"]),
              default="failed", show_default=True,
              help="held: silenced; withdrawn: cards the grade routed away, replies with no card to go under")
@click.option("--limit", default=50, show_default=True)
def deliveries(config_path: str, status: str, limit: int) -> None:
    """List outbox deliveries (by default the ones that failed for good, with their error)."""
    from bot.alerting.queries import list_deliveries

    rt = _runtime(_load(config_path))
    with rt.sessions() as session:
        rows = list_deliveries(session, status, limit)
    if not rows:
        click.echo(f"no {status if status != 'all' else ''} deliveries".replace("  ", " "))
    for r in rows:
        when = (f"sent={r.sent_at:%Y-%m-%d %H:%M:%S}" if r.sent_at else
                f"next={r.next_attempt_at:%Y-%m-%d %H:%M:%S}" if r.status == "pending" else "")
        click.echo(f"#{r.id} {r.status:<7} {r.kind:<14} chat={r.chat_id} incident={r.incident_id} "
                   f"attempts={r.attempts} created={r.created_at:%Y-%m-%d %H:%M:%S} {when} uuid={r.uuid}"
                   + (f"\n    error: {r.last_error}" if r.last_error else ""))


@main.command("sources")
@_config_option
def sources(config_path: str) -> None:
    """The sources and their health: last success, last error, consecutive failures, items fetched."""
    from bot.sources.health import health_table, render_health

    rt = _runtime(_load(config_path))
    with rt.sessions() as session:
        rows = health_table(session, rt.config)
    click.echo(render_health(rows, rt.config, rt.clock.now()))


@main.command("import")
@_config_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", "source_name", required=True, metavar="NAME", help="The configured source the items belong to.")
def import_(config_path: str, file: Path, source_name: str) -> None:
    """Import history from FILE (the format of a `file` source, or JSON Lines of items) into a source."""
    from tqdm import tqdm

    from bot.errors import SourceError
    from jobs.backfill import import_file

    loaded = _load(config_path)
    spec = next((s for s in loaded.config.sources if s.name == source_name), None)
    if spec is None:
        click.echo(f"--source {source_name}: no such source in {config_path}", err=True)
        sys.exit(2)
    rt = _runtime(loaded)
    with tqdm(total=file.stat().st_size, unit="B", unit_scale=True, desc=file.name, file=sys.stderr,
              disable=not sys.stderr.isatty()) as bar:
        try:
            r = import_file(rt, spec, file, bar.update)
        except SourceError as exc:
            click.echo(f"{file}: {exc.reason}", err=True)
            sys.exit(1)
    click.echo(f"{file}: {r.fetched} read, {r.new} new, {r.matched} matching, {r.skipped} skipped", err=True)


@main.group("brands")
def brands() -> None:
    """The monitored brands."""


@brands.command("test")
@_config_option
@click.argument("text")
@click.option("--platform", default="other", show_default=True, help="Read TEXT as from this platform (e.g. complaint).")
@click.option("--target", default="", help="A complaint record's 投诉对象 field.")
def brands_test(config_path: str, text: str, platform: str, target: str) -> None:
    """Show which brand TEXT names, where and why (or why not), and how the analysis reads it."""
    from bot.analysis.explain import explain_text
    from bot.analysis.pipeline import Analyzer

    config = _load(config_path).config
    for line in explain_text(Analyzer.from_config(config.brands, config.analysis), text, platform, target):
        click.echo(line)


@main.command("train")
@_config_option
def train(config_path: str) -> None:
    """Retrain the sentiment model from the shipped data plus the team's /fp and /miss labels; report before and
    after on a held-out fifth of the labels; store it in the database (every replica then uses it)."""
    from bot.training import TrainingError, train as fit

    rt = _runtime(_load(config_path))
    try:
        with rt.sessions() as session, session.begin():
            r = fit(session, rt.config, rt.clock.now())
    except TrainingError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(f"{r.labels} labels: trained on {r.trained_on}, measured on {r.held_out} held out")
    click.echo("| held-out labels | precision | recall | F1 | accuracy |\n| --- | --- | --- | --- | --- |")
    for name, s in (("before (model in use)", r.before), ("after (shipped + labels)", r.after)):
        click.echo(f"| {name} | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} | {s.accuracy:.3f} |")
    click.echo(f"stored as model #{r.model_id}, refitted on all {r.labels} labels; the bot uses it from its next scan")


@main.command("analyze")
@_config_option
def analyze(config_path: str) -> None:
    """Analyse items offline: JSONL on stdin → one JSON result per line on stdout."""
    from bot.analysis.offline import analyze_stream

    n = analyze_stream(_load(config_path), sys.stdin, sys.stdout)
    click.echo(f"{n} items analysed", err=True)
