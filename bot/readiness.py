"""What `/readyz` checks: the database answers and carries the newest schema."""
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.migrate import pending_migrations


def database_problem(engine: Engine) -> str | None:
    """None when the database answers and is migrated to head, else what is wrong, in a sentence."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            return pending_migrations(conn)
    except Exception as exc:  # any failure to reach it is the answer, not an error of the check
        return f"unreachable: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
