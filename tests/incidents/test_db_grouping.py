"""The database incident store under the analysis's clustering: joins, near-duplicates, and racing opens."""
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, func, select

from bot.analysis.clustering import ClusterItem, assign
from bot.analysis.grading import IncidentItem, summarise
from bot.analysis.simhash import bands
from bot.config.analysis import ClusteringConfig, GradingConfig
from bot.db import make_engine, make_session_factory
from bot.incidents.grouping import DbIncidentStore, store_signature
from bot.models import Incident, Item, Source

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
CLUSTERING = ClusteringConfig()


@pytest.fixture
def sessions(db_url):
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    with factory() as s, s.begin():
        s.add(Source(name="src", kind="rss", platform="weibo", cursor={}, created_at=T0))
    yield factory
    engine.dispose()


def new_item(session, ext: str, simhash: int, at: datetime) -> Item:
    source_id = session.scalar(select(Source.id).where(Source.name == "src"))
    row = Item(source_id=source_id, external_id=ext, platform="weibo", title=ext, text=ext, fetched_at=at,
               published_at=at, brands=[], topics=[], rules=[], regulators=[], negative=True)
    store_signature(row, simhash, bands(simhash))
    session.add(row)
    session.flush()
    return row


def place(session, row: Item, brand: str, event: str, simhash: int, at: datetime):
    store = DbIncidentStore(session, GradingConfig(), at)
    graded = IncidentItem(at, "src", "weibo", 1.0, 0, True)
    return assign(ClusterItem(str(row.id), brand, event, simhash, graded), store, CLUSTERING)


def test_near_duplicate_same_event_and_other_brand(sessions):
    h = 0x1234_5678_9ABC_DEF0
    with sessions() as s, s.begin():
        first_id, first = place(s, new_item(s, "a", h, T0), "星河", "催收", h, T0)
        assert first.incident_id is None  # opened
        copy = new_item(s, "b", h ^ 0b101, T0 + timedelta(minutes=5))  # 2 bits apart: a repost
        dup_id, dup = place(s, copy, "星河", "其他", h ^ 0b101, T0 + timedelta(minutes=5))
        assert dup_id == first_id and dup.duplicate_of is not None
        other = 0x0F0F_0F0F_0F0F_0F0F
        same_event_id, _ = place(s, new_item(s, "c", other, T0 + timedelta(hours=1)), "星河", "催收", other,
                                 T0 + timedelta(hours=1))
        assert same_event_id == first_id
        brand2_id, _ = place(s, new_item(s, "d", h, T0), "青橙", "催收", h, T0)
        assert brand2_id != first_id
        assert s.get(Incident, first_id).last_seen_at == T0 + timedelta(hours=1)


def test_outside_the_window_an_open_incident_of_the_same_event_is_joined_not_duplicated(sessions):
    with sessions() as s, s.begin():
        first_id, _ = place(s, new_item(s, "a", 1, T0), "星河", "催收", 1, T0)
        later = T0 + timedelta(hours=CLUSTERING.window_hours + 5)
        second_id, _ = place(s, new_item(s, "b", 2 << 40, later), "星河", "催收", 2 << 40, later)
    assert second_id == first_id


def test_two_racing_transactions_open_one_incident(sessions, db_url):
    # PostgreSQL: both transactions read "no incident" and insert; the unique open_key decides.
    # SQLite: BEGIN IMMEDIATE makes the second wait for the first, so no barrier inside the transaction.
    barrier = threading.Barrier(2) if db_url.startswith("postgresql") else None
    ids: list[int] = []
    errors: list[BaseException] = []

    def worker(ext: str, h: int):
        try:
            with sessions() as s, s.begin():
                row = new_item(s, ext, h, T0)
                if barrier is not None:
                    barrier.wait(timeout=5)
                ids.append(place(s, row, "星河", "催收", h, T0)[0])
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=("x", 1 << 50)), threading.Thread(target=worker, args=("y", 7))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    assert len(ids) == 2 and ids[0] == ids[1]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Incident)) == 1


def test_an_opened_incident_carries_the_response_policy_of_its_time(make_runtime, clock):
    from bot.incidents.deadlines import policy_of
    from bot.incidents.intake import accept_items

    rt = make_runtime({"brands": [{"name": "星河消费金融"}],
                       "response": {"deadlines": {"重大": {"ack": 5, "assess": 30, "statement": 60}}}})
    with rt.sessions() as s, s.begin():
        s.add(Source(name="src", kind="rss", platform="weibo", cursor={}, created_at=clock.now()))
        s.flush()
        row = new_item(s, "a", 0, clock.now())
        row.title, row.text = "星河消费金融暴力催收", "星河消费金融暴力催收，爆通讯录骚扰家人，投诉无门"
        accept_items(s, rt.config, "src", [row], clock.now())
        incident = s.get(Incident, row.incident_id)
        assert incident.grade is not None and incident.policy["response"]["grade_at_open"] == incident.grade
    # the admin changes the deadlines afterwards: the open incident keeps the ones it opened with
    later = make_runtime({"brands": [{"name": "星河消费金融"}],
                          "response": {"deadlines": {"重大": {"ack": 99, "assess": 30, "statement": 60}}}})
    with later.sessions() as s:
        stored = s.get(Incident, incident.id)
        assert policy_of(stored.policy, later.config).to_dict()["grades"]["重大"]["ack"] == 5
        assert policy_of(None, later.config).to_dict()["grades"]["重大"]["ack"] == 99


COMPLAINT = "星河消费金融暴力催收，爆通讯录骚扰家人，投诉无门"


def _accept(rt, s, ext: str, published: datetime):
    from bot.incidents.intake import accept_items

    row = new_item(s, ext, 0, published)
    row.title, row.text = COMPLAINT, COMPLAINT + f"（{ext}）"
    return accept_items(s, rt.config, "src", [row], rt.clock.now()), row


def _cards(s) -> int:
    from bot.models import Delivery

    return s.scalar(select(func.count()).select_from(Delivery).where(Delivery.kind == "incident_card"))


def test_history_is_graded_but_not_alerted_until_a_fresh_item_joins(make_runtime, clock):
    rt = make_runtime({"brands": [{"name": "星河消费金融"}], "alerting": {
        "chats": {"crisis": "oc_crisis"}, "routes": {"default": ["crisis"]}, "max_age_hours": 72}})
    with rt.sessions() as s, s.begin():
        s.add(Source(name="src", kind="rss", platform="weibo", cursor={}, created_at=clock.now()))
        s.flush()
        old, row = _accept(rt, s, "old", clock.now() - timedelta(days=10))
        incident = s.get(Incident, row.incident_id)
        assert incident.grade is not None and old.alerts == 0 and _cards(s) == 0
        old2, _ = _accept(rt, s, "old2", clock.now() - timedelta(days=9))
        assert old2.alerts == 0 and _cards(s) == 0
        fresh, row3 = _accept(rt, s, "fresh", clock.now() - timedelta(hours=1))
        assert row3.incident_id == incident.id
        assert fresh.alerts == 1 and _cards(s) == 1
        again, _ = _accept(rt, s, "fresh2", clock.now())
        assert again.alerts == 0 and _cards(s) == 1  # one card per chat; new items update it


def test_a_batch_reads_an_incidents_items_once_and_keeps_a_running_tally(sessions):
    # the live scan regrades after every item: re-reading the incident each time is k × n per batch
    def add(s, store, i: int, at: datetime):
        row = new_item(s, f"n{i}", i << 20, at)
        row.reposts, row.negative = i, i % 2 == 0
        graded = IncidentItem(at, "src", "weibo", 1.0, i, i % 2 == 0)
        incident_id, _ = assign(ClusterItem(str(row.id), "星河", "催收", i << 20, graded), store, CLUSTERING)
        return incident_id

    with sessions() as s, s.begin():
        store = DbIncidentStore(s, GradingConfig(), T0)
        incident_id = add(s, store, 1, T0)
        store.stats(incident_id, T0)
    reads: list[str] = []

    def count(conn, cursor, statement, *args):
        if "items.incident_id =" in statement and "JOIN sources" in statement:
            reads.append(statement)

    engine = sessions.kw["bind"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        with sessions() as s, s.begin():
            store = DbIncidentStore(s, GradingConfig(), T0 + timedelta(hours=2))
            for i in range(2, 22):
                assert add(s, store, i, T0 + timedelta(minutes=5 * i)) == incident_id
                running = store.stats(incident_id, T0 + timedelta(hours=2))
            assert len(reads) == 1
            fresh = summarise(store.items(incident_id), T0 + timedelta(hours=2), GradingConfig())
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert running == fresh
    assert (running.item_count, running.negative_count, running.engagement) == (21, 10, sum(range(1, 22)))


def test_a_post_older_than_the_window_never_joins_a_live_incident(sessions):
    """A year-old post (a feed's archive, a repost of an old story) neither joins the live incident of its event,
    as a near-duplicate or by event, nor opens a second one: it is kept ungrouped."""
    h = 0x1234_5678_9ABC_DEF0
    now = T0 + timedelta(days=365)
    with sessions() as s, s.begin():
        live_id, _ = place(s, new_item(s, "live", h, now), "星河", "催收", h, now)
        old = new_item(s, "old", h ^ 0b1, T0)  # the same text, a year earlier, found today
        store = DbIncidentStore(s, GradingConfig(), now, timedelta(hours=CLUSTERING.window_hours))
        graded = IncidentItem(T0, "src", "weibo", 1.0, 0, True)
        old_id, placement = assign(ClusterItem(str(old.id), "星河", "催收", h ^ 0b1, graded), store, CLUSTERING)
        assert old_id is None and placement.duplicate_of is None
        assert old.incident_id is None
        assert s.scalar(select(func.count()).select_from(Incident)) == 1
        inc = s.get(Incident, live_id)
        assert inc.first_seen_at == now and len(s.scalars(select(Item).where(Item.incident_id == live_id)).all()) == 1
        recent = new_item(s, "recent", 0x0F0F_0F0F_0F0F_0F0F, now - timedelta(hours=30))  # inside the window: joins
        graded = IncidentItem(now - timedelta(hours=30), "src", "weibo", 1.0, 0, True)
        assert assign(ClusterItem(str(recent.id), "星河", "催收", 0x0F0F_0F0F_0F0F_0F0F, graded), store,
                      CLUSTERING)[0] == live_id
