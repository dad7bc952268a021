"""Scale: the scan path against analysis alone, on SQLite and PostgreSQL, each beside its baseline in the same run.

    .venv/bin/python benchmarks/scale.py ingest --db sqlite --stored 0,100000 --items 3000
    .venv/bin/python benchmarks/scale.py ingest --db postgresql+psycopg://postgres@127.0.0.1:5432/bench --stored 0
    .venv/bin/python benchmarks/scale.py incident --db sqlite --items 20000
    .venv/bin/python benchmarks/scale.py status --db sqlite --open 5000
    .venv/bin/python benchmarks/scale.py memory --db sqlite --sizes 5000,20000,50000

`ingest`: the database is pre-filled with N items (N from --stored) in N/31 incidents, then `--items` new items
go through the push webhook's path (`ingest_records`: normalise, dedup, analyse, store, group, grade, queue
cards, in chunks of `scan.chunk_items`); the baseline is the same items through `Analyzer.analyze` alone.
Reported: items/s of each, their ratio (target ≥ 0.5), and SQL statements per new item (target ≤ 3).
`incident`: `--items` items about one brand within an hour join one incident, pushed in batches of 1,000; ms
per item of the first, the middle and the last batch, beside analysis alone. `status`: `/status` (its card, read
and rendered; the median of five) and an escalation and a reminder tick at `--open` open incidents (each with a
card sent 48 h ago or less), each tick twice on a clock that stands still (the second finds nothing new), then
each once more after a restart's recheck (`recheck_open`), beside the same at 50. The incidents carry the policy
snapshot the intake gives every incident it opens. `memory`: for each size, a fresh process builds the records,
then ingests them (chunks of `scan.chunk_items`); reported: resident memory before the ingest and its peak
during it (sampled every 20 ms), whose difference should not grow with the size of the scan (the records
themselves are built before the first reading), and SQLite's own heap after.

Texts are finnsp-bdci2019 (train + eval, see datasets.py for where it comes from), the 60 most-named entities
as brands; new items are those texts again with a repost prefix and tag per round, as in throughput.py. The
pre-filled rows reuse the same texts with random SimHash signatures (analysing a million items would take
longer than the measurement), so their band lookups behave like unrelated posts of the same brands.
"""
import argparse
import hashlib
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml
from datasets import data_dir, finnsp
from sqlalchemy import create_engine, event, insert, text

from bot.analysis.simhash import bands
from bot.config import load_config
from bot.db import Base
from bot.incidents.intake import analyse, analyzer_for
from bot.items.normalise import RawEntry, normalise
from bot.items.urls import canonical_url
from bot.items.normalise import url_key
from bot.models import Delivery, Incident, IncidentEvent, IncidentMessage, Item, Source
from bot.runtime import Runtime
from jobs.scan import ScanReport, ingest_records

PLATFORMS = ("weibo", "complaint", "forum", "news", "other")
EVENTS = ("催收", "收费", "爆雷", "投诉", "其他")


def texts(root: Path) -> tuple[list, list[str]]:
    rows = finnsp(root, "train") + finnsp(root, "eval")
    top = [e for e, _ in Counter(e for r in rows for e in r.entities).most_common(60)]
    return rows, top


def records(rows, n: int, now: datetime, prefix: str = "new", span_hours: float = 6.0) -> list[dict]:
    out = []
    for i in range(n):
        r = rows[i % len(rows)]
        round_ = i // len(rows) + 1
        out.append({"id": f"{prefix}-{i}", "title": r.doc.title,
                    "content": f"转发{round_}：{r.doc.text} #{PLATFORMS[round_ % 5]}#",
                    "url": f"https://bench.example.com/{prefix}/{i}",
                    "published": (now - timedelta(hours=span_hours * (n - i) / n)).isoformat(),
                    "reposts": i % 50, "likes": i % 200})
    return out


class StoppedClock:
    """Time that stands still: a tick timed twice finds nothing new the second time."""

    def __init__(self) -> None:
        self.at = datetime.now(timezone.utc)

    def now(self) -> datetime:
        return self.at


def runtime(url: str, brands: list[str], workdir: Path, clock: StoppedClock | None = None) -> Runtime:
    cfg = {"database": {"url": url, "auto_migrate": True},
           "brands": [{"name": b} for b in brands],
           "sources": [{"name": "bench", "kind": "webhook", "token_env": "BENCH_TOKEN", "platform": "news"}],
           "alerting": {"chats": {"crisis": "oc_bench"}, "routes": {"default": ["crisis"]}},
           "team": {"members": [{"open_id": "ou_lead", "name": "李四", "role": "lead"}]}}
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return Runtime.open(load_config(path, env={}), clock=clock)


def fresh_database(arg: str, workdir: Path, tag: str) -> str:
    """A new empty database: a SQLite file, or the PostgreSQL database named in the URL, emptied."""
    if arg == "sqlite":
        return f"sqlite:///{workdir / f'{tag}.db'}"
    engine = create_engine(arg)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return arg


@contextmanager
def counting(engine):
    counter = {"n": 0}

    def listen(*_a):
        counter["n"] += 1

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def prefill(rt: Runtime, rows, brands: list[str], n: int, now: datetime, open_share: float = 0.0) -> None:
    """n items in n/31 incidents of the brands over the last 30 days (closed but the newest `open_share`)."""
    if n == 0:
        return
    rng = random.Random(15)
    per = 31
    n_inc = max(1, n // per)
    with rt.engine.begin() as conn:
        source_id = conn.execute(insert(Source).values(
            name="history", kind="file", platform="news", cursor={}, created_at=now).returning(Source.id)).scalar()
        batch = []
        for k in range(n_inc):
            brand = brands[k % len(brands)]
            at = now - timedelta(days=30) + timedelta(days=30) * k / n_inc
            is_open = k >= n_inc * (1 - open_share)
            ev = f"{EVENTS[k % 5]}-{k}"
            batch.append({"id": k + 1, "brand": brand, "event_key": ev,
                          "open_key": f"{brand}:{ev}" if is_open else None,
                          "title": rows[k % len(rows)].doc.title or "标题",
                          "state": "triggered" if is_open else "resolved",
                          "grade": "一般", "grade_source": "auto", "reasons": [], "heat": 1.0, "item_count": per,
                          "velocity": 1.0, "engagement": 0, "platforms": ["news"], "sources": ["history"],
                          "topics": [], "sentiment": 0.3, "is_drill": False, "policy": {}, "first_seen_at": at,
                          "last_seen_at": at, "opened_at": at, "updated_at": at, "version": 1,
                          "resolved_at": None if is_open else at + timedelta(hours=5)})
            if len(batch) == 5000:
                conn.execute(insert(Incident), batch)
                batch = []
        if batch:
            conn.execute(insert(Incident), batch)
        batch = []
        for i in range(n):
            k = i // per % n_inc
            r = rows[i % len(rows)]
            h = rng.getrandbits(64)
            b0, b1, b2, b3 = bands(h)
            at = now - timedelta(days=30) + timedelta(days=30) * k / n_inc
            batch.append({"id": i + 1, "source_id": source_id, "external_id": f"h{i}",
                          "url_key": hashlib.sha1(f"h{i}".encode()).hexdigest(), "url": f"https://h.example.com/{i}",
                          "platform": PLATFORMS[i % 5], "title": r.doc.title, "text": r.doc.text, "author": None,
                          "published_at": at, "fetched_at": at, "views": 0, "reposts": i % 50, "comments": 0,
                          "likes": 0, "brands": [{"name": brands[k % len(brands)], "negative": True, "matched": "x"}],
                          "topics": [], "negative": True, "sentiment": 0.2, "risk_score": 0.8, "authority": 1.0,
                          "event_key": EVENTS[k % 5], "rules": [], "regulators": [],
                          "simhash": h - (1 << 64) if h >= 1 << 63 else h, "simhash_b0": b0, "simhash_b1": b1,
                          "simhash_b2": b2, "simhash_b3": b3, "duplicate_of_id": None, "incident_id": k + 1})
            if len(batch) == 5000:
                conn.execute(insert(Item), batch)
                batch = []
        if batch:
            conn.execute(insert(Item), batch)
        if conn.dialect.name == "postgresql":
            for table in ("items", "incidents"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
    with rt.engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def analysis_only(rt: Runtime, recs: list[dict], now: datetime) -> float:
    items = [normalise(RawEntry(r["id"], r["url"], r["title"], r["content"], None, r["published"], {}),
                       "bench", "news", now) for r in recs]
    t0 = time.perf_counter()
    for it in items:
        analyse(rt.config, "bench", it)
    return time.perf_counter() - t0


def scan(rt: Runtime, recs: list[dict]) -> tuple[float, int, ScanReport]:
    spec = rt.config.sources[0]
    report = ScanReport("bench", fetched=len(recs))
    with counting(rt.engine) as c:
        t0 = time.perf_counter()
        ingest_records(rt, spec, recs, {}, report)
        took = time.perf_counter() - t0
    return took, c["n"], report


def cmd_ingest(args, rows, brands, workdir: Path) -> None:
    print(f"| database | stored before | new items | analysis only, items/s | scan, items/s | ratio | "
          f"statements per new item | prefill s |\n|---|---|---|---|---|---|---|---|")
    for stored in [int(x) for x in args.stored.split(",")]:
        url = fresh_database(args.db, workdir, f"ingest{stored}")
        rt = runtime(url, brands, workdir)
        now = rt.clock.now()
        t0 = time.perf_counter()
        prefill(rt, rows, brands, stored, now)
        filled = time.perf_counter() - t0
        analyzer_for(rt.config).analyze  # built outside the timings
        analyse(rt.config, "bench", normalise(RawEntry("w", None, "预热", "预热", None, None, {}), "bench", "news", now))
        recs = records(rows, args.items, now)
        base = analysis_only(rt, recs, now)
        took, statements, report = scan(rt, recs)
        print(f"| {rt.engine.dialect.name} | {stored:,} | {report.new:,} | {len(recs) / base:,.0f} | "
              f"{report.new / took:,.0f} | {base / took:.2f} | {statements / max(report.new, 1):.2f} | {filled:.0f} |",
              flush=True)
        rt.close()


def cmd_incident(args, rows, brands, workdir: Path) -> None:
    url = fresh_database(args.db, workdir, "incident")
    rt = runtime(url, brands, workdir)
    now = rt.clock.now()
    brand = brands[0]
    base_text = f"{brand}暴力催收，爆通讯录骚扰家人，投诉无门，大家都来评评理"
    recs = [{"id": f"big-{i}", "title": f"{brand}暴力催收", "content": f"{base_text}（转发第{i}次）",
             "url": f"https://big.example.com/{i}",
             "published": (now - timedelta(minutes=60 * (1 - i / args.items))).isoformat(),
             "reposts": i % 7} for i in range(args.items)]
    base = analysis_only(rt, recs[:1000], now) / 1000
    spec = rt.config.sources[0]
    per_batch = []
    for start in range(0, len(recs), 1000):
        report = ScanReport("bench")
        t0 = time.perf_counter()
        ingest_records(rt, spec, recs[start:start + 1000], {}, report)
        per_batch.append((time.perf_counter() - t0) / max(report.new, 1))
    with rt.engine.connect() as conn:
        incidents = conn.execute(text("SELECT count(DISTINCT incident_id), max(item_count) FROM items "
                                      "JOIN incidents ON incidents.id = items.incident_id")).one()
    middle = per_batch[len(per_batch) // 2]
    print(f"| database | items | incidents | analysis only, ms/item | first 1,000, ms/item | middle 1,000, ms/item | "
          f"last 1,000, ms/item |\n|---|---|---|---|---|---|---|\n| {rt.engine.dialect.name} | {len(recs):,} | "
          f"{incidents[0]} (largest {incidents[1]:,}) | {base * 1000:.1f} | {per_batch[0] * 1000:.2f} | "
          f"{middle * 1000:.2f} | {per_batch[-1] * 1000:.2f} |")
    rt.close()


def open_incidents(rt: Runtime, rows, brands: list[str], n: int, now: datetime) -> None:
    from bot.incidents.deadlines import snapshot_policy

    snapshots = {g: snapshot_policy(rt.config, g) for g in ("重大", "一般", "轻微")}  # as the intake opens them
    with rt.engine.begin() as conn:
        source_id = conn.execute(insert(Source).values(
            name="history", kind="file", platform="news", cursor={}, created_at=now).returning(Source.id)).scalar()
        incs, events, items, cards, messages = [], [], [], [], []
        for k in range(n):
            at = now - timedelta(hours=48) * (k + 1) / n
            brand, ev, grade = brands[k % len(brands)], f"{EVENTS[k % 5]}-{k}", ("重大", "一般", "轻微")[k % 3]
            incs.append({"id": k + 1, "brand": brand, "event_key": ev, "open_key": f"{brand}:{ev}", "title": f"事件{k}",
                         "state": ("triggered", "acknowledged", "in_progress")[k % 3], "grade": grade,
                         "grade_source": "auto", "reasons": [], "heat": 1.0, "item_count": 3, "velocity": 1.0,
                         "engagement": 0, "platforms": ["news"], "sources": ["history"], "topics": [],
                         "sentiment": 0.3, "is_drill": False, "policy": snapshots[grade], "first_seen_at": at,
                         "last_seen_at": at,
                         "opened_at": at, "updated_at": at, "version": 1, "owner": "ou_lead" if k % 3 else None,
                         "escalate_at": at, "remind_at": at,  # as the migration leaves open incidents
                         "acknowledged_at": at + timedelta(minutes=3) if k % 3 else None})
            events.append({"incident_id": k + 1, "at": at, "kind": "graded", "via": "system", "text": "自动定级",
                           "detail": {"from": None, "to": grade}})
            sent = at + timedelta(seconds=30)  # each incident's card went out after group_wait
            cards.append({"uuid": f"card-{k}", "kind": "incident_card", "incident_id": k + 1, "chat_id": "oc_bench",
                          "msg_type": "interactive", "payload": {"item_count": 3}, "status": "sent", "attempts": 1,
                          "next_attempt_at": at, "message_id": f"om_{k}", "created_at": at, "sent_at": sent})
            messages.append({"incident_id": k + 1, "chat_id": "oc_bench", "message_id": f"om_{k}",
                             "created_at": sent})
            for j in range(3):
                h = random.getrandbits(63)
                items.append({"source_id": source_id, "external_id": f"s{k}-{j}", "url_key": None, "url": None,
                              "platform": "news", "title": "t", "text": rows[(3 * k + j) % len(rows)].doc.text,
                              "published_at": at, "fetched_at": at, "brands": [{"name": brand}], "topics": [],
                              "rules": [], "regulators": [], "incident_id": k + 1, "simhash": h,
                              **dict(zip(("simhash_b0", "simhash_b1", "simhash_b2", "simhash_b3"), bands(h)))})
        conn.execute(insert(Incident), incs)
        conn.execute(insert(IncidentEvent), events)
        conn.execute(insert(Item), items)
        conn.execute(insert(Delivery), cards)
        conn.execute(insert(IncidentMessage), messages)
        if conn.dialect.name == "postgresql":
            for table in ("items", "incidents", "incident_events", "deliveries", "incident_messages"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
    with rt.engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def timed(rt: Runtime, fn) -> tuple[float, int]:
    with counting(rt.engine) as c:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0, c["n"]


def cmd_status(args, rows, brands, workdir: Path) -> None:
    from handlers.context import Actor, Context
    from handlers.status_commands import status_card
    from jobs.escalate import run_escalations
    from bot.models.due import recheck_open
    from jobs.remind import remind_due

    print("| database | open incidents | /status ms (statements) | escalation tick ms (statements) | "
          "again, nothing new ms (statements) | reminder tick ms (statements) | again, nothing new ms (statements) |"
          " after a restart: escalation tick ms (statements) | reminder tick ms (statements) |"
          "\n|---|---|---|---|---|---|---|---|---|")
    for n in (50, args.open):
        url = fresh_database(args.db, workdir, f"status{n}")
        rt = runtime(url, brands, workdir, StoppedClock())
        now = rt.clock.now()
        open_incidents(rt, rows, brands, n, now)

        def status():  # the reply's card, read and rendered, as the command handler makes it
            with rt.sessions() as s:
                status_card(rt.config, Context(s, now, Actor("ou_lead", "李四"), None, "oc_bench"))

        status()  # warm caches (mappers, compiled statements)
        st = sorted((timed(rt, status) for _ in range(5)), key=lambda tc: tc[0])[2]  # the median of five
        esc = timed(rt, lambda: run_escalations(rt))
        esc2 = timed(rt, lambda: run_escalations(rt))
        rem = timed(rt, lambda: remind_due(rt))
        rem2 = timed(rt, lambda: remind_due(rt))
        with rt.sessions() as s, s.begin():
            recheck_open(s)  # as on a restart: every open incident is looked at again
        esc3 = timed(rt, lambda: run_escalations(rt))
        rem3 = timed(rt, lambda: remind_due(rt))
        cells = " | ".join(f"{t * 1000:,.0f} ({c:,})" for t, c in (st, esc, esc2, rem, rem2, esc3, rem3))
        print(f"| {rt.engine.dialect.name} | {n:,} | {cells} |", flush=True)
        rt.close()


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def sqlite_heap_mb() -> float:
    """What SQLite's own allocator holds (its page caches, mostly), from the library the sqlite3 module uses."""
    import ctypes
    try:
        lib = ctypes.CDLL("libsqlite3.so.0")
    except OSError:
        return float("nan")
    lib.sqlite3_memory_used.restype = ctypes.c_int64
    return lib.sqlite3_memory_used() / 2**20


def cmd_memory_one(args, rows, brands, workdir: Path) -> None:
    import threading
    url = fresh_database(args.db, workdir, f"memory{args.items}")
    rt = runtime(url, brands, workdir)
    now = rt.clock.now()
    analyzer_for(rt.config).analyze
    recs = records(rows, args.items, now)
    before = rss_mb()
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], rss_mb())

    sampler = threading.Thread(target=sample)
    sampler.start()
    took, _statements, report = scan(rt, recs)
    done.set()
    sampler.join()
    print(f"{rt.engine.dialect.name}\t{args.items}\t{report.new}\t{before:.0f}\t{peak[0]:.0f}\t{took:.1f}\t"
          f"{sqlite_heap_mb():.0f}")
    rt.close()


def cmd_memory(args, rows, brands, workdir: Path) -> None:
    import subprocess
    print("| database | items in the scan | stored | RSS before, MB | peak RSS during, MB | growth, MB | scan s | "
          "SQLite heap after, MB |\n|---|---|---|---|---|---|---|---|")
    for n in [int(x) for x in args.sizes.split(",")]:
        out = subprocess.run([sys.executable, __file__, "memory-one", "--db", args.db, "--items", str(n)]
                             + (["--data", args.data] if args.data else []),
                             check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        db, items, new, before, peak, took, heap = out.split("\t")
        print(f"| {db} | {int(items):,} | {int(new):,} | {before} | {peak} | {float(peak) - float(before):.0f} | "
              f"{took} | {heap if db == 'sqlite' else '–'} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=("ingest", "incident", "status", "memory", "memory-one"))
    ap.add_argument("--db", default="sqlite", help="sqlite, or a PostgreSQL URL of a database this may empty")
    ap.add_argument("--data")
    ap.add_argument("--stored", default="0,100000")
    ap.add_argument("--items", type=int, default=3000)
    ap.add_argument("--open", type=int, default=5000)
    ap.add_argument("--sizes", default="5000,20000,50000")
    args = ap.parse_args()
    rows, brands = texts(data_dir(args.data))
    workdir = Path(tempfile.mkdtemp(prefix="yuqing-scale-"))
    try:
        {"ingest": cmd_ingest, "incident": cmd_incident, "status": cmd_status, "memory": cmd_memory,
         "memory-one": cmd_memory_one}[args.what](args, rows, brands, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
