"""Engine, sessions and the declarative Base (with a naming convention so migrations are stable)."""
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

from sqlalchemy import BigInteger, MetaData, create_engine, event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import DateTime, TypeDecorator

from bot.write_turns import write_turns

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
        if value.tzinfo is timezone.utc:  # PostgreSQL sessions run in UTC (make_engine): the common case, first
            return value
        # SQLite hands back what was stored without an offset
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class epoch_minute(FunctionElement):
    """The whole minutes since 1970 (UTC) of a `UtcDateTime` expression, an integer on both databases: readings
    grouped by minute are few and exact for any time zone's hours (offsets are whole quarters of an hour)."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch_minute, "sqlite")
def _epoch_minute_sqlite(element, compiler, **kw):
    return f"(CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER) / 60)"


@compiles(epoch_minute, "postgresql")
def _epoch_minute_postgresql(element, compiler, **kw):
    return f"CAST(floor(extract(epoch FROM {compiler.process(element.clauses, **kw)}) / 60) AS BIGINT)"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime()}


class WriteGate:
    """First come, first served for SQLite's one write lock among the threads of this process.

    SQLite's busy handler polls (up to every 100 ms), so a scan that commits a chunk and begins the next one at
    once would take the lock again before a waiting command's poll comes round: chunking alone would not let
    commands and cards in. Each transaction takes a ticket here before BEGIN IMMEDIATE and hands the turn on
    when it ends. A thread inside a transaction may begin another (its depth is counted); a waiter that gives
    up after `timeout` fails like SQLite's own "database is locked".
    """

    def __init__(self, timeout: float):
        self.timeout = timeout
        self._cond = threading.Condition()
        self._next = 0
        self._serving = 0
        self._abandoned: set[int] = set()
        self._owner: int | None = None
        self._depth = 0
        self._conns: set[int] = set()

    def acquire(self, conn: object) -> bool:
        """Wait for this thread's turn; True if it is a new turn (False: the thread holds it already)."""
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                self._depth += 1
                self._conns.add(id(conn))
                return False
            ticket = self._next
            self._next += 1
            if not self._cond.wait_for(lambda: self._serving == ticket and self._owner is None, self.timeout):
                self._abandoned.add(ticket)
                self._advance()
                raise TimeoutError("database is locked: another transaction of this process held it too long")
            self._owner, self._depth, self._conns = me, 1, {id(conn)}
            return True

    def release(self, conn: object, whole: bool = False) -> bool:
        """The transaction on `conn` ended (`whole`: the connection went back to the pool, its work undone);
        True if that ended the turn."""
        with self._cond:
            if self._owner is None or id(conn) not in self._conns:
                return False
            self._depth = 0 if whole else self._depth - 1
            if self._depth > 0:
                return False
            self._owner, self._conns = None, set()
            self._serving += 1
            self._advance()
            return True

    def _advance(self) -> None:
        while self._serving in self._abandoned:
            self._abandoned.discard(self._serving)
            self._serving += 1
        self._cond.notify_all()


def masked_url(url: str) -> str:
    """The URL as it may be printed or logged: the password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can read: show the scheme only
        return url.split("://", 1)[0] + "://…"


def make_engine(url: str, yielding: bool = False, **kwargs) -> Engine:
    """An engine for the URL; SQLite gets foreign keys on and a busy timeout so two writers wait, not fail, and
    turns at the write lock shared with other processes (`bot.write_turns`), where a `yielding` engine (a bulk
    ingest) lets the others go first."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "postgresql":

        @event.listens_for(engine, "connect")
        def _utc_session(dbapi_conn, _record):
            # timestamps come back in UTC whatever the server's TimeZone, so reading thousands of them is not a
            # zone conversion each (the status reads six per open incident)
            cur = dbapi_conn.cursor()
            cur.execute("SET TIME ZONE 'UTC'")
            cur.close()
            dbapi_conn.commit()

    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # take transaction control from pysqlite, which otherwise mishandles SAVEPOINT (SQLAlchemy's recipe)
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            # 64 MB of page cache (the default is 2 MB): at a million items the indexes a chunk's insert and band
            # lookups touch no longer fit the default, and every miss is a read from the OS
            cur.execute("PRAGMA cache_size=-65536")
            if url not in ("sqlite://", "sqlite:///:memory:"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        timeout = kwargs.get("connect_args", {}).get("timeout", 30)
        gate = WriteGate(timeout=timeout)
        turns = write_turns(engine.url.database, yielding, timeout)
        if turns is not None:
            weakref.finalize(engine, turns.close)

        def _end_turn(dbapi_conn, whole: bool = False) -> None:
            if gate.release(dbapi_conn, whole) and turns is not None:
                turns.give()
                turns.unclaim()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # IMMEDIATE: a second writer waits for the lock (busy timeout) instead of failing on upgrade
            dbapi_conn = conn.connection.dbapi_connection
            if turns is not None:
                turns.claim()
            try:
                fresh = gate.acquire(dbapi_conn)
            except BaseException:
                if turns is not None:
                    turns.unclaim()
                raise
            try:
                if turns is not None and fresh:
                    turns.take()
                elif turns is not None:
                    turns.unclaim()  # a transaction inside the thread's own turn: claimed once already
            except BaseException:
                gate.release(dbapi_conn)
                if turns is not None:
                    turns.unclaim()
                raise
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                _end_turn(dbapi_conn)
                raise

        @event.listens_for(engine, "commit")
        @event.listens_for(engine, "rollback")
        def _sqlite_end(conn):
            _end_turn(conn.connection.dbapi_connection)

        @event.listens_for(engine.pool, "reset")
        def _sqlite_returned(dbapi_conn, _record, _reset_state):
            # a connection given back with its transaction open (a session never closed): its turn ends too
            _end_turn(dbapi_conn, whole=True)

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
