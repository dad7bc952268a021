"""Shared fixtures: databases (SQLite always, PostgreSQL when YUQING_TEST_DATABASE_URL is set), the fake
Feishu Open API, loopback source servers, and a guard that fails any test reaching past loopback."""
import ipaddress
import os
import shutil
import socket
import uuid
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text

from bot.config import load_config
from bot.db import Base
from bot.migrate import upgrade
from bot.runtime import Runtime
from tests.clock import FakeClock
from tests.fakes.feishu_server import FakeFeishu
from tests.fakes.source_servers import SourceServer

PG_URL = os.environ.get("YUQING_TEST_DATABASE_URL")
REQUIRE_PG = os.environ.get("YUQING_REQUIRE_POSTGRES") == "1"
REPO = Path(__file__).resolve().parent.parent

_real_connect = socket.socket.connect


def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            ok = ipaddress.ip_address(host).is_loopback
        except ValueError:
            ok = host == "localhost"
        if not ok:
            raise RuntimeError(f"test tried to reach {address}: tests stay on loopback")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def offline_guard(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


# -- databases ---------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _pg_ready():
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("YUQING_REQUIRE_POSTGRES=1 but YUQING_TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL tests need YUQING_TEST_DATABASE_URL")
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(PG_URL)
    return PG_URL


def _truncate_pg(url: str) -> None:
    import bot.models  # noqa: F401

    engine = create_engine(url)
    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, _sqlite_template) -> str:
    """A migrated, empty database: a SQLite file per test, and the PostgreSQL one when configured."""
    if request.param == "sqlite":
        path = tmp_path / "yuqing.db"
        shutil.copy(_sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("_pg_ready")
    _truncate_pg(url)
    return url


# -- fakes ---------------------------------------------------------------------------------------------
@pytest.fixture
def feishu():
    fake = FakeFeishu(slow_seconds=2.5).start()
    yield fake
    fake.stop()


@pytest.fixture
def sources():
    server = SourceServer()
    yield server
    server.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app_env(feishu) -> dict[str, str]:
    """Environment with Feishu app credentials; a fresh app id keeps the SDK's token cache apart per test."""
    return {"FEISHU_APP_ID": f"cli_{uuid.uuid4().hex[:12]}", "FEISHU_APP_SECRET": "secret"}


def write_config(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def make_runtime(tmp_path, db_url, clock):
    """Build a Runtime from a config dict against the test database."""
    opened = []

    def build(data: dict, env: dict | None = None) -> Runtime:
        data = {**data, "database": {"url": db_url, "auto_migrate": False}}
        loaded = load_config(write_config(tmp_path, data), env=env or {})
        rt = Runtime.open(loaded, clock=clock, migrate=False)
        opened.append(rt)
        return rt

    yield build
    for rt in opened:
        rt.close()


@pytest.fixture
def scratch_pg() -> str:
    """An empty PostgreSQL database of its own (created beside the test database, dropped after)."""
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("YUQING_REQUIRE_POSTGRES=1 but YUQING_TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL tests need YUQING_TEST_DATABASE_URL")
    from sqlalchemy import make_url

    name = f"{make_url(PG_URL).database}_scratch_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
