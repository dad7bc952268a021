"""Ingests in the child process `yuqing run` uses (jobs.ingest_process): what the child stores is in the database,
a scan's report comes back, and a child killed in the middle of a push loses and doubles nothing."""
import json
import os
import signal
import threading
import time
from concurrent.futures.process import BrokenProcessPool

import pytest
from sqlalchemy import func, select

from bot.models import Delivery, Item
from jobs.ingest_process import IngestProcess
from jobs.scan import ScanReport

BRANDS = ["星河消费金融", "青橙银行", "蓝鲸小贷"]
WORDS = ["暴力催收，爆通讯录", "未经同意扣款", "利滚利变相收费", "被曝违规放贷", "客服电话打不通"]


def records(n: int, offset: int = 0) -> list[dict]:
    return [{"id": f"r{offset + i}", "title": f"{BRANDS[i % 3]}{WORDS[i % 5]}",
             "content": f"{BRANDS[i % 3]}{WORDS[i % 5]}，投诉无门，第{offset + i}位用户说",
             "url": f"https://t.example.com/p/{offset + i}"} for i in range(n)]


@pytest.fixture
def rt(make_runtime, tmp_path):
    export = tmp_path / "export"
    export.mkdir()
    (export / "a.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records(7, 500)) + "\n",
                                    encoding="utf-8")
    return make_runtime({"brands": [{"name": b} for b in BRANDS], "scan": {"chunk_items": 20},
                         "alerting": {"chats": {"crisis": "oc_crisis"}, "routes": {"default": ["crisis"]}},
                         "sources": [{"name": "push", "kind": "webhook", "token_env": "T", "platform": "complaint"},
                                     {"name": "export", "kind": "file", "path": str(export)}]})


@pytest.fixture
def child(rt):
    process = IngestProcess(rt.loaded).start()
    yield process
    process.stop()


def stored(rt, *where) -> int:
    with rt.sessions() as s:
        return s.scalar(select(func.count()).select_from(Item).where(*where))


def test_a_push_and_a_scan_stored_by_the_child_are_in_the_database(rt, child):
    push, export = rt.config.sources
    report = ScanReport("push", fetched=30)
    assert child.ingest(push, records(30), {}, report) == 30
    assert report.new == 30 and report.matched == 30
    assert child.pid is not None and child.pid != os.getpid()
    from jobs.http import make_http_client
    from jobs.scan import scan_source

    with make_http_client(rt.config.scan) as http:  # fetched here, analysed and stored in the child
        scanned = scan_source(rt, export, http, store=child.store_fetched)
    assert scanned.error is None and (scanned.fetched, scanned.new) == (7, 7)
    assert stored(rt) == 37
    assert child.ingest(push, records(30), {}, ScanReport("push", fetched=30)) == 30  # resent: stored once
    assert stored(rt) == 37


def test_a_child_killed_during_a_push_loses_and_doubles_nothing(rt, child):
    push = rt.config.sources[0]
    batch = records(600)
    child.ingest(push, [], {}, ScanReport("push"))  # the child runs, its models loaded
    failed: list[BaseException] = []

    def push_all() -> None:
        try:
            child.ingest(push, batch, {}, ScanReport("push", fetched=len(batch)))
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            failed.append(exc)

    worker = threading.Thread(target=push_all)
    worker.start()
    deadline = time.monotonic() + 120
    while stored(rt) < 40 and time.monotonic() < deadline:  # a few chunks are in
        time.sleep(0.05)
    pid = child.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    worker.join(120)
    assert failed and isinstance(failed[0], BrokenProcessPool)
    partly = stored(rt)
    assert 40 <= partly < len(batch)
    report = ScanReport("push", fetched=len(batch))  # the crawler sends it again: a new child takes it
    assert child.ingest(push, batch, {}, report) == len(batch)
    assert report.new == len(batch) - partly
    assert stored(rt) == len(batch)
    with rt.sessions() as s:
        ids = s.scalars(select(Item.external_id)).all()
        cards = s.execute(select(Delivery.incident_id, func.count()).where(Delivery.kind == "incident_card")
                          .group_by(Delivery.incident_id)).all()
    assert len(ids) == len(set(ids))
    assert cards and all(n == 1 for _, n in cards)
    assert child.pid != pid


def test_the_webhook_stores_pushes_through_the_child_and_answers_503_when_it_dies(rt, child):
    import httpx

    from handlers.http_server import HttpServer
    from handlers.ingest_webhook import ingest_routes

    srv = HttpServer("127.0.0.1", 0, ingest_routes(rt, env={"T": "tok"}, ingest=child.ingest)).start()
    headers = {"Authorization": "Bearer tok"}
    try:
        small = httpx.post(f"{srv.url}/ingest/push", json=records(5), headers=headers, timeout=60)
        assert small.status_code == 202 and small.json()["stored"] == 5
        answers: list[httpx.Response] = []
        big = records(600, 100)
        worker = threading.Thread(target=lambda: answers.append(
            httpx.post(f"{srv.url}/ingest/push", json=big, headers=headers, timeout=120)))
        worker.start()
        deadline = time.monotonic() + 120
        while stored(rt) < 45 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        worker.join(120)
        assert answers[0].status_code == 503 and "send it again" in answers[0].json()["error"]
        again = httpx.post(f"{srv.url}/ingest/push", json=big, headers=headers, timeout=120)
        assert again.status_code == 202 and again.json()["duplicates"] == stored(rt) - 5 - again.json()["stored"]
        assert stored(rt) == 605
    finally:
        srv.stop()


def test_the_scheduler_scans_in_the_child(rt, child):
    from jobs.http import make_http_client
    from jobs.scheduler import build_scheduler

    with make_http_client(rt.config.scan) as http:
        scheduler = build_scheduler(rt, http, scanner=child)
        job = scheduler.get_job("scan:export")
        job.func(*job.args, **job.kwargs)  # the tick: wins the lease, the child scans
    assert stored(rt) == 7


def test_the_child_ends_when_its_parent_is_killed(rt):
    """kill -9 of `yuqing run` must not leave its ingest child scanning on: it notices and exits."""
    import pickle
    import subprocess
    import sys

    from tests.conftest import REPO

    script = ("import pickle, sys, time\n"
              "from jobs.ingest_process import IngestProcess\n"
              "child = IngestProcess(pickle.loads(sys.stdin.buffer.read())).start()\n"
              "print(child.pid, flush=True)\n"
              "time.sleep(600)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=False)
    try:
        parent.stdin.write(pickle.dumps(rt.loaded))
        parent.stdin.close()
        pid = int(parent.stdout.readline())
        os.kill(pid, 0)  # the child runs
        parent.kill()
        parent.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
            pytest.fail("the ingest child outlived its killed parent")
    finally:
        parent.kill()
