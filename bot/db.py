"""Engine, sessions and the declarative Base (with a naming convention so migrations are stable)."""
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

from sqlalchemy import MetaData, create_engine, event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import DateTime, TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator):
    """Timezone-aware datetimes in, UTC-aware datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UtcDateTime column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        # SQLite hands back what was stored without an offset
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime()}


def masked_url(url: str) -> str:
    """The URL as it may be printed or logged: the password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can read: show the scheme only
        return url.split("://", 1)[0] + "://…"


def make_engine(url: str, **kwargs) -> Engine:
    """An engine for the URL; SQLite gets foreign keys on and a busy timeout so two writers wait, not fail."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # take transaction control from pysqlite, which otherwise mishandles SAVEPOINT (SQLAlchemy's recipe)
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if url not in ("sqlite://", "sqlite:///:memory:"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # IMMEDIATE: a second writer waits for the lock (busy timeout) instead of failing on upgrade
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


class RollbackOnlySessions:
    """A session factory whose sessions all run inside one outer transaction, rolled back at the end.

    Commits inside become savepoints: everything works as usual and nothing is kept (`--dry-run`).
    """

    def __init__(self, engine: Engine):
        self._conn = engine.connect()
        self._outer = self._conn.begin()
        self._factory = sessionmaker(bind=self._conn, join_transaction_mode="create_savepoint",
                                     expire_on_commit=False)

    def __call__(self) -> Session:
        return self._factory()

    def rollback_all(self) -> None:
        self._outer.rollback()
        self._conn.close()
