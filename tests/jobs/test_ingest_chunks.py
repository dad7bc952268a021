"""The ingest path at scale: few statements per new item, short transactions, and a crash between chunks that
loses and doubles nothing."""
import threading

import pytest
from sqlalchemy import event, func, select

from bot.incidents.intake import analyzer_for
from bot.models import Delivery, Incident, Item, Source
from jobs.scan import ScanReport, ingest_records

BRANDS = ["星河消费金融", "青橙银行", "蓝鲸小贷"]
WORDS = ["暴力催收，爆通讯录", "未经同意扣款", "利滚利变相收费", "被曝违规放贷", "客服电话打不通"]


def records(n: int, offset: int = 0) -> list[dict]:
    return [{"id": f"r{offset + i}", "title": f"{BRANDS[i % 3]}{WORDS[i % 5]}",
             "content": f"{BRANDS[i % 3]}{WORDS[i % 5]}，投诉无门，第{offset + i}位用户说",
             "url": f"https://t.example.com/p/{offset + i}", "reposts": i} for i in range(n)]


@pytest.fixture
def rt(make_runtime):
    def build(chunk: int = 200):
        rt = make_runtime({"brands": [{"name": b} for b in BRANDS],
                           "scan": {"chunk_items": chunk},
                           "alerting": {"chats": {"crisis": "oc_crisis"}, "routes": {"default": ["crisis"]}},
                           "sources": [{"name": "push", "kind": "webhook", "token_env": "T", "platform": "complaint"}]})
        analyzer_for(rt.config)
        return rt
    return build


def count(rt, model, *where) -> int:
    with rt.sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_a_new_item_costs_at_most_three_statements(rt):
    rt = rt()
    spec = rt.config.sources[0]
    ingest_records(rt, spec, records(20), {}, ScanReport("push"))  # incidents exist: the batch joins and opens
    statements: list[str] = []
    listen = lambda conn, cursor, statement, *a: statements.append(statement)  # noqa: E731
    event.listen(rt.engine, "before_cursor_execute", listen)
    try:
        report = ScanReport("push")
        ingest_records(rt, spec, records(150, 10), {}, report)
    finally:
        event.remove(rt.engine, "before_cursor_execute", listen)
    assert report.new == 140 and report.matched == 140
    assert len(statements) <= 3 * report.new, len(statements)
    # and far fewer than the 14.5 per item of storing them one by one: a batch costs a constant number
    assert len(statements) < report.new, len(statements)
    assert count(rt, Item, Item.incident_id.is_(None)) == 0


def test_statements_keep_their_shape_whatever_the_chunk_size(rt):
    """Memory stays flat over a long ingest: the compiled statements a chunk needs are the same for a chunk of
    17 and one of 71, so the engine's statement cache stops growing after the first chunks (a CASE with one
    branch per item was a new cached statement, with all its parameters, per chunk size)."""
    rt = rt()
    spec = rt.config.sources[0]
    sizes, offset, cached = (17, 23, 31, 41, 53, 61, 71), 0, []
    for size in sizes:
        ingest_records(rt, spec, records(size, offset), {}, ScanReport("push"))
        offset += size
        cached.append(len(rt.engine._compiled_cache))
    assert count(rt, Item) == sum(sizes) and count(rt, Item, Item.incident_id.is_(None)) == 0
    assert len(set(cached[2:])) == 1, cached


def test_chunks_commit_on_their_own_and_a_crash_between_them_loses_and_doubles_nothing(rt, monkeypatch):
    rt = rt(chunk=10)
    spec = rt.config.sources[0]
    import jobs.scan

    real, calls = jobs.scan.accept_items, []

    def crash_on_the_third(*a, **kw):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("killed")
        return real(*a, **kw)

    monkeypatch.setattr(jobs.scan, "accept_items", crash_on_the_third)
    with pytest.raises(RuntimeError):
        ingest_records(rt, spec, records(35), {}, ScanReport("push"))
    assert count(rt, Item) == 20  # two chunks committed, the third rolled back whole
    with rt.sessions() as s:
        assert s.scalar(select(Source.items_fetched).where(Source.name == "push")) == 20
    monkeypatch.undo()
    report = ScanReport("push")
    ingest_records(rt, spec, records(35), {}, report)  # the resent batch: the rest stored, nothing twice
    assert report.new == 15 and count(rt, Item) == 35
    with rt.sessions() as s:
        per_incident = s.execute(select(Item.incident_id, func.count()).group_by(Item.incident_id)).all()
        stored = dict(s.execute(select(Incident.id, Incident.item_count)).all())
        assert {i: n for i, n in per_incident} == stored  # the tallies match the items
        cards = s.execute(select(Delivery.incident_id, Delivery.chat_id, func.count())
                          .where(Delivery.kind == "incident_card")
                          .group_by(Delivery.incident_id, Delivery.chat_id)).all()
        assert cards and all(n == 1 for *_, n in cards)


def test_another_writer_gets_in_between_the_chunks_of_a_long_ingest(rt, db_url):
    # on SQLite a transaction holds the only write lock: a scan in one transaction kept commands and cards
    # waiting for all of it. In chunks, a command's write commits while the scan is still going.
    rt = rt(chunk=10)
    spec = rt.config.sources[0]
    order: list[str] = []
    done = threading.Event()

    def on_commit(conn):
        order.append("scan" if threading.current_thread().name == "scan" else "other")

    event.listen(rt.engine, "commit", on_commit)

    def scan():
        try:
            ingest_records(rt, spec, records(120), {}, ScanReport("push"))
        finally:
            done.set()

    worker = threading.Thread(target=scan, name="scan")
    worker.start()
    while not order:  # the first chunk is in
        pass
    while not done.is_set():
        with rt.sessions() as s, s.begin():
            s.add(Source(name=f"cmd-{len(order)}", kind="rss", platform="news", cursor={},
                         created_at=rt.clock.now()))
    worker.join()
    event.remove(rt.engine, "commit", on_commit)
    scans = [n for n, who in enumerate(order) if who == "scan"]
    assert len(scans) == 2 * 12  # per chunk: what is new (then analysed with no transaction open), then its write
    assert any(who == "other" for who in order[scans[0]:scans[-1]]), order


def test_telling_the_chats_about_a_chunk_reads_cards_messages_and_silences_once(rt):
    """A chunk touching many incidents whose cards are out reads their cards, posted messages and the silences in
    one query each (not one per incident), and still holds back what a silence covers and updates the rest."""
    from datetime import timedelta

    from bot.alerting.silences import Matcher, create_silence
    from bot.models import IncidentMessage, SilenceHold

    rt = rt()
    spec = rt.config.sources[0]
    ingest_records(rt, spec, records(30), {}, ScanReport("push"))
    now = rt.clock.now()
    with rt.sessions() as s, s.begin():  # every card is out in the crisis chat
        for d in s.scalars(select(Delivery).where(Delivery.kind == "incident_card")):
            d.status, d.sent_at = "sent", now
            s.add(IncidentMessage(incident_id=d.incident_id, chat_id=d.chat_id, message_id=f"om_{d.id}",
                                  created_at=now))
        create_silence(s, Matcher.BRAND, BRANDS[0], timedelta(hours=1), "ou_admin", now)
        by_brand = {i.id: i.brand for i in s.scalars(select(Incident))}
    assert len(by_brand) >= 9
    statements: list[str] = []
    listen = lambda conn, cursor, statement, *a: statements.append(statement)  # noqa: E731
    event.listen(rt.engine, "before_cursor_execute", listen)
    try:
        report = ScanReport("push")
        ingest_records(rt, spec, records(150, 30), {}, report)  # one chunk, joining every incident
    finally:
        event.remove(rt.engine, "before_cursor_execute", listen)
    assert report.new == 150
    assert sum("FROM incident_messages" in st for st in statements) == 1, statements
    assert sum("FROM silences" in st for st in statements) == 1
    card_reads = [st for st in statements if "FROM deliveries" in st and "deliveries.kind = " in st
                  and "DISTINCT" not in st]
    assert len(card_reads) == 1, card_reads
    with rt.sessions() as s:
        updated = {d.incident_id for d in s.scalars(select(Delivery).where(Delivery.kind == "card_update"))}
        held = {h.incident_id for h in s.scalars(select(SilenceHold))}
    silenced = {i for i, b in by_brand.items() if b == BRANDS[0]}
    assert held == silenced and not updated & silenced
    assert updated == set(by_brand) - silenced
