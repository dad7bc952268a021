"""What a running command needs, built once from the config: engine, sessions, clock."""
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock, SystemClock
from bot.config import LoadedConfig
from bot.db import make_engine, make_session_factory
from bot.migrate import upgrade


@dataclass
class Runtime:
    loaded: LoadedConfig
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock = field(default_factory=SystemClock)
    yielding: bool = False  # a bulk ingester beside a serving process (`open`)

    @property
    def config(self):
        return self.loaded.config

    @classmethod
    def open(cls, loaded: LoadedConfig, clock: Clock | None = None, migrate: bool | None = None,
             yielding: bool = False) -> "Runtime":
        """Connect to the database (applying migrations when `database.auto_migrate` is on). `yielding`: this
        process ingests in bulk and lets the serving process's transactions go first (SQLite, `bot.write_turns`)."""
        from bot import wakeup

        wakeup.install()
        engine = make_engine(loaded.database_url, yielding=yielding)
        if loaded.config.database.auto_migrate if migrate is None else migrate:
            with engine.begin() as conn:
                upgrade(loaded.database_url, conn)
        return cls(loaded, engine, make_session_factory(engine), clock or SystemClock(), yielding)

    def close(self) -> None:
        self.engine.dispose()
