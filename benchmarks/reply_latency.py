"""Chat command → reply latency: event POST to the bot → reply recorded by the local fake Feishu.

    .venv/bin/python benchmarks/reply_latency.py [--db URL] [--commands 200] [--chats 10] [--gap 0.5]
    .venv/bin/python benchmarks/reply_latency.py --during-scan 10000 [--db URL]

The whole path is real: the bot's HTTP endpoint (uvicorn), signature and decryption, the chat_inbox row, the
command worker, the dispatcher, the outbox row, the delivery worker, lark-oapi, and the fake Feishu on
loopback recording the reply. Each of the chats sends its commands one after another, `gap` seconds apart
(under the per-chat send budget), all chats at once. Two modes, same run, same database:
- polling: the workers only poll every 2 s (how the bot worked before wake-ups);
- wake-ups: a committed row wakes its worker (bot.wakeup), polling only as the fallback.
Prints p50 / p95 / max for each and the ratio. Default database: a SQLite file in a temp folder; pass a
PostgreSQL URL (an empty database: it is migrated and truncated) to measure there.

`--during-scan N`: wake-ups mode three times: idle; while N items are ingested through the push webhook's path
(finnsp texts, 60 brands, chunks of `scan.chunk_items`) in the child process `yuqing run` ingests in
(jobs.ingest_process); and while the same N are ingested by a thread of the serving process itself (how
`yuqing run` ingested before). The replies' latency beside the idle run's, and how many of the scan's cards
reached the fake Feishu before the scan ended (group_wait 0 here, so a card may go as soon as its chunk commits).
"""
import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(1, str(Path(__file__).resolve().parent))

from bot.config import load_config  # noqa: E402
from bot.feishu.client import FeishuClient  # noqa: E402
from bot.migrate import upgrade  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from bot.wakeup import SIGNALS  # noqa: E402
from handlers.app import ChatOps  # noqa: E402
from handlers.http_server import HttpServer  # noqa: E402
from handlers.routes import build_routes  # noqa: E402
from jobs.deliver import DeliveryWorker  # noqa: E402
from tests.builders.feishu_events import ENCRYPT_KEY, TOKEN, message_event, wire  # noqa: E402
from tests.builders.incidents import CONFIG  # noqa: E402
from tests.conftest import write_config  # noqa: E402
from tests.fakes.feishu_server import FakeFeishu  # noqa: E402


def _truncate(url: str) -> None:
    from sqlalchemy import create_engine, text

    import bot.models  # noqa: F401
    from bot.db import Base

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(t.name for t in Base.metadata.sorted_tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


def run_mode(wake: bool, db_url: str, workdir: Path, commands: int, chats: int, gap: float,
             scan_items: int = 0, in_child: bool = True) -> tuple[list[float], str]:
    feishu = FakeFeishu().start()
    if db_url.startswith("postgresql"):
        _truncate(db_url)
    env = {"FEISHU_APP_ID": f"cli_{uuid.uuid4().hex[:12]}", "FEISHU_APP_SECRET": "secret",
           "FEISHU_VERIFICATION_TOKEN": TOKEN, "FEISHU_ENCRYPT_KEY": ENCRYPT_KEY}
    cfg = {**CONFIG, "feishu": {"domain": feishu.url}, "database": {"url": db_url, "auto_migrate": False},
           "alerting": {**CONFIG["alerting"], "chats": {**CONFIG["alerting"]["chats"], **{f"c{i}": f"oc_chat{i}" for i in range(chats)}}}}
    news: list[dict] = []
    if scan_items:
        from datasets import data_dir
        from scale import records, texts
        rows, brands = texts(data_dir(None))
        cfg["brands"] = [{"name": b} for b in brands]
        cfg["sources"] = [{"name": "push", "kind": "webhook", "token_env": "BENCH_TOKEN", "platform": "news"}]
        cfg["alerting"] = {**cfg["alerting"], "group_wait": 0}
    loaded = load_config(write_config(workdir, cfg), env=env)
    rt = Runtime.open(loaded, migrate=False)
    child = None
    if scan_items and in_child:
        from jobs.ingest_process import IngestProcess
        from jobs.scan import ScanReport
        child = IngestProcess(loaded).start()
        child.ingest(loaded.config.sources[0], [], {}, ScanReport("push"))  # spawned, models loaded
    if scan_items:
        from bot.incidents.intake import analyzer_for
        analyzer_for(rt.config).analyze  # built before the clock starts, as a running bot has it
        news = records(rows, scan_items, rt.clock.now(), prefix="scan", span_hours=1.0)
    secrets = rt.loaded.secrets
    client = FeishuClient(secrets.app_id, secrets.app_secret.get_secret_value(), feishu.url)
    signals = SIGNALS if wake else None
    chat = ChatOps(rt, signals=signals).start()
    delivery = DeliveryWorker(rt, client, signals=signals).start()
    server = HttpServer("127.0.0.1", 0, build_routes(rt, chat)).start()
    per_chat = commands // chats
    latencies: list[float] = []
    lock = threading.Lock()
    pending: list[tuple[str, float]] = []

    def one_chat(i: int) -> None:
        chat_id = f"oc_chat{i}"
        with httpx.Client(timeout=10) as http:
            for _ in range(per_chat):
                said = client.send(chat_id, "text", {"text": "@bot /help"}, uuid.uuid4().hex).message_id
                body, headers = wire(message_event("/help", sender="ou_zhang", chat_id=chat_id, message_id=said))
                started = time.monotonic()
                r = http.post(f"{server.url}/feishu/events", content=body, headers=headers)
                assert r.status_code == 200, r.text
                with lock:
                    pending.append((said, started))
                time.sleep(gap)

    scanned: dict[str, float] = {}

    def scan() -> None:
        from jobs.scan import ScanReport, ingest_records
        t0 = time.monotonic()
        report = ScanReport("push", fetched=len(news))
        if child is not None:
            child.ingest(rt.config.sources[0], news, {}, report)
        else:
            ingest_records(rt, rt.config.sources[0], news, {}, report)
        scanned.update(seconds=time.monotonic() - t0, ended=time.monotonic(), new=report.new)

    try:
        threads = [threading.Thread(target=one_chat, args=(i,)) for i in range(chats)]
        if news:
            threads.insert(0, threading.Thread(target=scan))
            threads[0].start()
            time.sleep(1.0)  # the commands come while the scan is under way
        for t in threads[1 if news else 0:]:
            t.start()
        for t in threads:
            t.join()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            answered = {m.root_id: m.created for m in feishu.messages if m.root_id}
            if all(said in answered for said, _ in pending):
                break
            time.sleep(0.05)
        answered = {m.root_id: m.created for m in feishu.messages if m.root_id}
        for said, started in pending:
            latencies.append(answered[said] - started if said in answered else float("inf"))
        note = ""
        if news:
            cards = [m for m in feishu.messages if m.msg_type == "interactive" and not m.root_id]
            during = sum(1 for m in cards if m.created <= scanned["ended"])
            last_reply = max((answered[s] for s, _ in pending if s in answered), default=0.0)
            note = (f"scan of {len(news):,} items ({scanned['new']:,} new) took {scanned['seconds']:.1f} s; "
                    f"{during} of its {len(cards)} cards reached the fake Feishu before it ended; the last command "
                    f"was answered {scanned['ended'] - last_reply:.1f} s before the scan ended")
    finally:
        server.stop()
        delivery.stop()
        chat.close()
        if child is not None:
            child.stop()
        rt.close()
        feishu.stop()
    return latencies, note


def summary(xs: list[float]) -> tuple[float, float, float]:
    xs = sorted(xs)
    return statistics.median(xs), xs[max(int(round(0.95 * len(xs))) - 1, 0)], xs[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    ap.add_argument("--commands", type=int, default=200)
    ap.add_argument("--chats", type=int, default=10)
    ap.add_argument("--gap", type=float, default=0.5, help="seconds between one chat's commands")
    ap.add_argument("--during-scan", type=int, default=0, metavar="N",
                    help="compare idle with a scan of N items in the same process (wake-ups mode)")
    ap.add_argument("--no-thread", action="store_true",
                    help="with --during-scan: leave out the scan in a thread of the serving process (slow to run)")
    args = ap.parse_args()
    modes = ((("idle", True, 0, True), ("scan in child", True, args.during_scan, True),
              ("scan in thread", True, args.during_scan, False)) if args.during_scan
             else (("polling", False, 0, True), ("wake-ups", True, 0, True)))
    if args.no_thread:
        modes = tuple(m for m in modes if m[0] != "scan in thread")
    notes = []
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for n, (name, wake, items, in_child) in enumerate(modes):
            url = args.db or f"sqlite:///{Path(tmp) / f'bench{n}.db'}"  # PostgreSQL: truncated per mode
            upgrade(url)
            latencies, note = run_mode(wake, url, Path(tmp), args.commands, args.chats, args.gap, items, in_child)
            results[name] = summary(latencies)
            notes += [f"{name}: {note}"] if note else []
    print(f"{args.commands} commands over {args.chats} chats, {args.gap} s apart per chat; "
          f"database {url.split(':', 1)[0]}; event POST -> reply recorded by the fake Feishu")
    print(f"{'mode':<12} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, (p50, p95, mx) in results.items():
        print(f"{name:<12} {p50 * 1000:8.0f} {p95 * 1000:8.0f} {mx * 1000:8.0f}")
    (a, (p50a, p95a, _)), *others = results.items()
    for b, (p50b, p95b, _) in others:
        print(f"{b} / {a}: p50 {p50b / p50a:.2f}x, p95 {p95b / p95a:.2f}x")
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
