"""Applying the Alembic migrations in alembic/ to a database, and telling whether it is up to date.

On PostgreSQL the upgrade runs under a transaction-scoped advisory lock, so replicas starting together (or
two `yuqing db upgrade` at once) take turns: the first applies the migrations, the others then find nothing
to do. SQLite's BEGIN IMMEDIATE (bot.db) serialises them there.
"""
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

ROOT = Path(__file__).resolve().parent.parent
MIGRATION_LOCK = 0x79757169  # "yuqi": the advisory lock id every replica takes around upgrades


def alembic_config(url: str, connection: Connection | None = None) -> AlembicConfig:
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.attributes["url"] = url
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(url: str, connection: Connection | None = None) -> None:
    """Bring the database at `url` to the newest schema (a no-op when it is already there)."""
    if connection is None:
        from sqlalchemy import pool

        from bot.db import make_engine

        engine = make_engine(url, poolclass=pool.NullPool)
        try:
            with engine.begin() as conn:
                upgrade(url, conn)
        finally:
            engine.dispose()
        return
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    command.upgrade(alembic_config(url, connection), "head")


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config("")).get_heads())


def pending_migrations(connection: Connection) -> str | None:
    """None when the database is at the newest revision, else a sentence saying where it is."""
    current = set(MigrationContext.configure(connection).get_current_heads())
    heads = head_revisions()
    if current == heads:
        return None
    return f"database at revision {', '.join(sorted(current)) or 'none'}, code expects {', '.join(sorted(heads))}"
