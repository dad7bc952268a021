"""Database URLs are printed with the password masked."""
import subprocess
import sys

from bot.db import masked_url
from tests.conftest import write_config


def test_masked_url_hides_the_password_only():
    assert masked_url("postgresql+psycopg://bot:hunter2@db:5432/yuqing") == "postgresql+psycopg://bot:***@db:5432/yuqing"
    assert masked_url("sqlite:///yuqing.db") == "sqlite:///yuqing.db"
    assert "hunter2" not in masked_url("not a url://bot:hunter2@x")


def test_the_cli_never_prints_the_password(tmp_path):
    path = write_config(tmp_path, {"database": {"url": "postgresql+psycopg://bot:hunter2@127.0.0.1:9/yuqing"}})
    out = subprocess.run([sys.executable, "-m", "bot", "db", "upgrade", "-c", str(path)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 1
    assert "bot:***@127.0.0.1:9/yuqing" in out.stderr and "hunter2" not in out.stderr + out.stdout
