"""Every statement of the scan path, the command path and the jobs is an index lookup, never a full scan of
`items` or `incidents`: the statements are captured while each path runs, then EXPLAINed one by one.

On PostgreSQL the planner is told to avoid sequential scans (enable_seqscan = off), so a sequential scan left in
a plan means no index can serve the query — on a table of a million rows it would read them all. SQLite's
planner, without statistics, takes an index whenever one serves.
"""
import io
import re
from datetime import timedelta

from sqlalchemy import event

from bot.incidents.intake import analyzer_for
from handlers.app import ChatOps
from handlers.console import run_console
from jobs.deliver import TerminalSink, deliver_due
from jobs.digest import send_digest
from jobs.escalate import run_escalations
from jobs.follow_up import run_follow_ups
from jobs.remind import remind_due
from jobs.scan import ScanReport, ingest_records
from tests.builders.incidents import CONFIG

BRANDS = ["星河消费金融", "青橙银行", "蓝鲸小贷"]
WHOLE_TABLE = re.compile(r"^SCAN (items|incidents)\b(?!.*USING (COVERING )?INDEX)")
PG_SEQ = re.compile(r"Seq Scan on (items|incidents)\b")


def records(n: int, offset: int = 0) -> list[dict]:
    words = ["暴力催收，爆通讯录", "未经同意扣款", "利滚利变相收费", "被曝违规放贷", "客服电话打不通"]
    return [{"id": f"r{offset + i}", "title": f"{BRANDS[i % 3]}{words[i % 5]}",
             "content": f"{BRANDS[i % 3]}{words[i % 5]}，投诉无门，第{offset + i}位用户",
             "url": f"https://t.example.com/p/{offset + i}", "reposts": i} for i in range(n)]


def capture(engine, run) -> list[tuple[str, object]]:
    seen: list[tuple[str, object]] = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        if not executemany:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listen)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    return seen


def full_scans(engine, statements) -> list[str]:
    bad = []
    distinct = {statement: params for statement, params in statements}
    with engine.connect() as conn:
        pg = engine.dialect.name == "postgresql"
        if pg:
            conn.exec_driver_sql("SET enable_seqscan = off")
        for statement, params in distinct.items():
            head = statement.lstrip().split(None, 1)[0].upper()
            if head not in ("SELECT", "UPDATE", "DELETE", "WITH"):
                continue
            if pg:
                plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, params))
                if PG_SEQ.search(plan):
                    bad.append(f"{statement}\n{plan}")
            else:
                rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
                if any(WHOLE_TABLE.search(r[-1]) for r in rows):
                    bad.append(f"{statement}\n" + "\n".join(r[-1] for r in rows))
        conn.rollback()
    return bad


def test_scan_command_and_job_statements_never_scan_items_or_incidents(make_runtime, clock):
    rt = make_runtime({**CONFIG, "brands": [{"name": b} for b in BRANDS],
                       "sources": [{"name": "heimao", "kind": "webhook", "token_env": "T", "platform": "complaint"}],
                       "response": {"follow_up": {"enabled": True}, "digest": {"enabled": True, "chat": "crisis"}}})
    spec = rt.config.sources[0]
    analyzer_for(rt.config)  # loads the models outside the capture
    ingest_records(rt, spec, records(30), {}, ScanReport("heimao"))
    statements = capture(rt.engine, lambda: ingest_records(rt, spec, records(40, 20), {}, ScanReport("heimao")))
    script = "/status\n/incident 1\n/ack 1\n/note 1 已联系客户\n/report 1\n/assess 1 属实\n/resolve 1 已处理\n/oncall\n"
    statements += capture(rt.engine, lambda: run_console(ChatOps(rt), "ou_li", io.StringIO(script), io.StringIO()))

    def jobs():
        clock.advance(hours=3)
        for _ in range(2):
            deliver_due(rt, TerminalSink(io.StringIO()))
            remind_due(rt)
            run_escalations(rt)
            run_follow_ups(rt)
        send_digest(rt)

    statements += capture(rt.engine, jobs)
    assert len(statements) > 100  # the paths ran
    bad = full_scans(rt.engine, statements)
    assert not bad, "\n\n".join(bad)


def test_status_and_the_digest_take_as_many_queries_for_60_open_incidents_as_for_3(make_runtime, clock):
    from bot.incidents.digest import load_status
    from bot.models import IncidentEvent
    from tests.builders.incidents import make_incident

    rt = make_runtime(CONFIG)
    counts = []
    for n in (3, 60):
        with rt.sessions() as s, s.begin():
            for k in range(n - (3 if n == 60 else 0)):
                inc = make_incident(s, clock.now(), grade=("重大", "一般", "轻微")[k % 3], n=n * 100 + k,
                                    state=("triggered", "acknowledged", "in_progress")[k % 3],
                                    age=timedelta(hours=3))
                s.add(IncidentEvent(incident_id=inc.id, at=inc.opened_at, kind="graded", via="system", text="",
                                    detail={"to": inc.grade}))

        def status():
            with rt.sessions() as s:
                digest, summary = load_status(s, rt.config, clock.now())  # as the /status handler reads
                assert summary.open_total == n and len(digest.overdue) >= n // 3

        status()
        counts.append(len(capture(rt.engine, status)))
    assert counts[0] == counts[1], counts


def _open_with_cards(rt, clock, first: int, n: int) -> None:
    from bot.models import Delivery, IncidentEvent
    from tests.builders.incidents import make_incident

    with rt.sessions() as s, s.begin():
        for k in range(first, first + n):
            inc = make_incident(s, clock.now(), grade=("重大", "一般", "轻微")[k % 3], n=k,
                                state=("triggered", "acknowledged", "in_progress")[k % 3],
                                card_message_id=f"om_{k}")
            s.add(IncidentEvent(incident_id=inc.id, at=clock.now(), kind="graded", via="system", text="",
                                detail={"to": inc.grade}))
            s.add(Delivery(uuid=f"card-{k}", kind="incident_card", incident_id=inc.id, chat_id="oc_crisis",
                           payload={}, status="sent", attempts=1, next_attempt_at=clock.now(),
                           message_id=f"om_{k}", created_at=clock.now(), sent_at=clock.now()))


def test_ticks_take_as_many_statements_for_200_open_incidents_as_for_10(make_runtime, clock):
    """A quiet tick is one indexed read; a tick after a start, looking at every open incident again with nothing
    due, is a constant number of set-based reads and one batched update."""
    from bot.models.due import recheck_open

    rt = make_runtime(CONFIG)
    counts = []
    for first, n in ((0, 10), (10, 190)):
        _open_with_cards(rt, clock, first, n)
        clock.advance(minutes=1)
        with rt.sessions() as s, s.begin():
            recheck_open(s)  # as on start: every open incident to be looked at
        recheck = capture(rt.engine, lambda: (run_escalations(rt), remind_due(rt)))
        escalate = capture(rt.engine, lambda: run_escalations(rt))
        remind = capture(rt.engine, lambda: remind_due(rt))
        assert [st.split()[0] for st, _ in escalate + remind if "incidents" in st] == ["SELECT", "SELECT"]
        counts.append((len(recheck), len(escalate), len(remind)))
    assert counts[0] == counts[1], counts
    clock.advance(minutes=15)  # the 重大 ones' first ack step is due: the tick still finds them
    assert run_escalations(rt).fired == 67


def test_the_ticks_find_their_incidents_through_the_due_time_indexes(make_runtime, clock):
    rt = make_runtime(CONFIG)
    _open_with_cards(rt, clock, 0, 30)
    clock.advance(hours=1)
    statements = capture(rt.engine, lambda: (run_escalations(rt), remind_due(rt)))
    for column in ("escalate_at", "remind_at"):
        found = [(st, p) for st, p in statements if f"incidents.{column} <=" in st]
        assert len(found) == 2, column  # the quiet check and the locked read of the incidents to decide again
        with rt.engine.connect() as conn:
            for statement, params in found:
                if rt.engine.dialect.name == "postgresql":
                    conn.exec_driver_sql("SET enable_seqscan = off")
                    plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, params))
                else:
                    plan = "\n".join(r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params))
                assert f"ix_incidents_{column}" in plan, plan
            conn.rollback()
    assert not full_scans(rt.engine, statements)
