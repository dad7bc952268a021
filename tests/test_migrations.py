"""Models and migrations never drift: after `upgrade head`, autogenerate finds nothing to do."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import bot.models  # noqa: F401
from bot.db import Base, make_engine


def test_models_match_migrations(db_url):
    engine = make_engine(db_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert diff == []
    assert set(Base.metadata.tables) <= tables


def test_concurrent_upgrades_take_turns(scratch_pg, tmp_path):
    """Three `yuqing db upgrade` on one empty PostgreSQL at once: all succeed, the schema is applied once."""
    import subprocess
    import sys

    from bot.migrate import pending_migrations
    from tests.conftest import write_config

    cfg = write_config(tmp_path, {"database": {"url": scratch_pg}})
    procs = [subprocess.Popen([sys.executable, "-m", "bot", "db", "upgrade", "-c", str(cfg)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    assert [code for code, _ in results] == [0, 0, 0], results
    engine = make_engine(scratch_pg)
    with engine.connect() as conn:
        assert pending_migrations(conn) is None
    engine.dispose()


def test_readiness_names_an_unmigrated_or_unreachable_database(scratch_pg):
    from bot.migrate import upgrade
    from bot.readiness import database_problem

    engine = make_engine(scratch_pg)
    assert "code expects" in database_problem(engine)
    upgrade(scratch_pg)
    assert database_problem(engine) is None
    engine.dispose()
    down = make_engine("postgresql+psycopg://postgres@127.0.0.1:9/none")
    assert database_problem(down).startswith("unreachable: OperationalError")
