"""Applying the Alembic migrations in alembic/ to a database, and keeping SQLite's planner statistics."""
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from sqlalchemy import pool
from sqlalchemy.engine import Connection, Engine

from bot.db import make_engine

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str, connection: Connection | None = None) -> AlembicConfig:
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.attributes["url"] = url
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(url: str, connection: Connection | None = None) -> None:
    """Bring the database at `url` to the newest schema (a no-op when it is already there); on SQLite, gather
    the planner's statistics when the schema changed or there are none yet."""
    if connection is not None:
        _upgrade(url, connection)
        return
    engine = make_engine(url, poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            _upgrade(url, conn)
    finally:
        engine.dispose()


def _upgrade(url: str, conn: Connection) -> None:
    before = MigrationContext.configure(conn).get_current_heads()
    command.upgrade(alembic_config(url, conn), "head")
    if conn.dialect.name == "sqlite":
        changed = MigrationContext.configure(conn).get_current_heads() != before
        has_stats = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first() is not None
        if changed or not has_stats:
            # without statistics SQLite's planner may walk a whole brand's items for the band query
            conn.exec_driver_sql("ANALYZE")


def optimize(engine: Engine) -> None:
    """Refresh SQLite's statistics where they went stale (cheap: bounded per index); PostgreSQL's autovacuum
    does this by itself."""
    if engine.dialect.name != "sqlite":
        return
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA analysis_limit = 1000")
        conn.exec_driver_sql("PRAGMA optimize")
