"""`yuqing run` scans on its schedule and stops cleanly on SIGTERM, keeping what it stored."""
import os
import signal
import subprocess
import sys
import time

from sqlalchemy import func, select

from bot.db import make_engine
from bot.models import Delivery, Item
from tests.conftest import REPO, write_config


def test_run_scans_then_stops_cleanly_on_sigterm(tmp_path):
    db = tmp_path / "run.db"
    cfg = write_config(tmp_path, {
        "database": {"url": f"sqlite:///{db}"},
        "server": {"port": 0},
        "sources": [{"name": "sample", "kind": "rss", "path": str(REPO / "samples/finance_news.xml"),
                     "interval": 30}],
        "brands": [{"name": "星河消费金融", "aliases": ["星河分期"]}],
        "alerting": {"chats": {"crisis": "oc_x"}, "routes": {"default": ["crisis"]}},
    })
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEISHU_")}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "-c", str(cfg)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        stored = sent = 0
        while time.monotonic() < deadline and proc.poll() is None:
            if db.exists():
                engine = make_engine(f"sqlite:///{db}")
                try:
                    with engine.connect() as conn:
                        stored = conn.scalar(select(func.count()).select_from(Item))
                        sent = conn.scalar(select(func.count()).select_from(Delivery)
                                           .where(Delivery.status == "sent"))
                        pending = conn.scalar(select(func.count()).select_from(Delivery)
                                              .where(Delivery.status == "pending"))
                except Exception:  # the schema may not be there yet
                    stored = sent = 0
                    pending = 1
                engine.dispose()
                if stored and sent and not pending:
                    break
            time.sleep(0.2)
        assert stored == 5 and sent >= 1, "run never stored and delivered the sample items"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopped" in err and "Traceback" not in err
    assert "星河消费金融 · 舆情告警" in out  # the incident card, printed without Feishu credentials


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_run_serves_healthz_and_readyz(tmp_path):
    import httpx

    port = _free_port()
    cfg = write_config(tmp_path, {"database": {"url": f"sqlite:///{tmp_path / 'run.db'}"},
                                  "server": {"port": port}})
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEISHU_")}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "-c", str(cfg)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline, ready = time.monotonic() + 60, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        assert ready is not None and ready.status_code == 200, ready and ready.text
        assert ready.json()["checks"] == {"database": "ok", "scheduler": "ok"}
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").json() == {"status": "ok"}
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "Traceback" not in err, err
