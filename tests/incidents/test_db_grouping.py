"""The database incident store under the analysis's clustering, a batch at a time: joins, near-duplicates,
racing opens, and the intake's regrade and alert per batch."""
import threading
from datetime import datetime, timedelta, timezone

from sqlalchemy import event, func, select

from bot.analysis.clustering import ClusterItem, assign
from bot.analysis.grading import IncidentItem, IncidentTally, summarise
from bot.analysis.simhash import bands
from bot.config.analysis import ClusteringConfig, GradingConfig
from bot.incidents.grouping import BatchIncidentStore, signature_columns
from bot.items.normalise import NormalisedItem
from bot.models import Incident, Item, Source

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
CLUSTERING = ClusteringConfig()


def new_item(session, ext: str, simhash: int, at: datetime) -> Item:
    source_id = session.scalar(select(Source.id).where(Source.name == "src"))
    row = Item(source_id=source_id, external_id=ext, platform="weibo", title=ext, text=ext, fetched_at=at,
               published_at=at, brands=[], topics=[], rules=[], regulators=[], negative=True)
    for name, value in signature_columns(simhash, bands(simhash)).items():
        setattr(row, name, value)
    session.add(row)
    session.flush()
    return row


def place(session, row: Item, brand: str, event: str, simhash: int, at: datetime):
    window = timedelta(hours=CLUSTERING.window_hours)
    store = BatchIncidentStore(session, GradingConfig(), at, window)
    store.prefetch([(brand, bands(simhash))], at - window, at + window)
    graded = IncidentItem(at, "src", "weibo", 1.0, 0, True)
    _, placement = assign(ClusterItem(str(row.id), brand, event, simhash, graded), store, CLUSTERING)
    placed = store.flush({row.id: int(placement.duplicate_of)} if placement.duplicate_of else None)
    session.expire(row)
    return placed[row.id], placement


def test_a_batch_joins_its_own_items_and_writes_once(sessions):
    # the batch's second item is a repost of its first, the third a new event: one band query per band position,
    # one incident insert, one placement update for the three
    h, other = 0x1234_5678_9ABC_DEF0, 0x0F0F_0F0F_0F0F_0F0F
    with sessions() as s, s.begin():
        rows = [new_item(s, "a", h, T0), new_item(s, "b", h ^ 0b11, T0 + timedelta(minutes=1)),
                new_item(s, "c", other, T0 + timedelta(minutes=2))]
        statements: list[str] = []
        engine = sessions.kw["bind"]
        listen = lambda conn, cursor, statement, *a: statements.append(statement)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listen)
        try:
            store = BatchIncidentStore(s, GradingConfig(), T0)
            store.prefetch([("星河", bands(h)), ("星河", bands(h ^ 0b11)), ("星河", bands(other))],
                           T0 - timedelta(hours=24), T0 + timedelta(hours=24))
            placements = []
            for row, hv, ev in zip(rows, (h, h ^ 0b11, other), ("催收", "其他", "爆雷")):
                graded = IncidentItem(row.published_at, "src", "weibo", 1.0, 0, True)
                placements.append(assign(ClusterItem(str(row.id), "星河", ev, hv, graded), store, CLUSTERING)[1])
            placed = store.flush({rows[1].id: int(placements[1].duplicate_of)})
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        assert placements[1].duplicate_of == str(rows[0].id)
        assert placed[rows[0].id] == placed[rows[1].id] != placed[rows[2].id]
        assert len(statements) == 7, statements  # open incidents, 4 × band candidates, incident insert, placement
        s.expire_all()
        assert rows[1].duplicate_of_id == rows[0].id and rows[1].incident_id == placed[rows[0].id]
        assert store.opened == {placed[rows[0].id], placed[rows[2].id]}


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


def accept(rt, s, texts: list[tuple[str, str, datetime]]):
    """Store and accept one batch (external id, text, published) the way a scan does; returns the result and
    the items' ids."""
    from bot.incidents.intake import NewItem, accept_items, analyse, analysis_columns
    from bot.items.store import insert_items, item_values

    source = s.scalar(select(Source).where(Source.name == "src"))
    items = [NormalisedItem("src", "weibo", ext, None, text[:20], text, None, at, rt.clock.now())
             for ext, text, at in texts]
    analyses = [analyse(rt.config, "src", it) for it in items]
    ids, rejected = insert_items(s, source, items, [item_values(source, it, 1.0, analysis_columns(a, 1.0))
                                                    for it, a in zip(items, analyses)])
    assert not rejected
    new = [NewItem(ids[it.external_id], it, a) for it, a in zip(items, analyses)]
    return accept_items(s, rt.config, "src", new, rt.clock.now()), [n.id for n in new]


def test_an_opened_incident_carries_the_response_policy_of_its_time(make_runtime, clock):
    from bot.incidents.deadlines import policy_of

    rt = make_runtime({"brands": [{"name": "星河消费金融"}],
                       "response": {"deadlines": {"重大": {"ack": 5, "assess": 30, "statement": 60}}}})
    with rt.sessions() as s, s.begin():
        s.add(Source(name="src", kind="rss", platform="weibo", cursor={}, created_at=clock.now()))
        s.flush()
        _, (item_id,) = accept(rt, s, [("a", "星河消费金融暴力催收，爆通讯录骚扰家人，投诉无门", clock.now())])
        incident = s.get(Incident, s.get(Item, item_id).incident_id)
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
    result, (item_id,) = accept(rt, s, [(ext, COMPLAINT + f"（{ext}）", published)])
    return result, s.get(Item, item_id)


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
        s.refresh(incident)
        assert incident.item_count == 4 and incident.last_seen_at == clock.now()


def test_a_batch_joining_an_incident_does_not_reread_it_and_its_running_tally_matches_a_fresh_read(make_runtime,
                                                                                                   clock):
    # 20 items join one incident in one batch: its stored tally and one count of its recent items stand for its
    # items (none read), and the stored figures equal those of a fresh read of the whole incident. An incident
    # without a stored tally (older than running tallies) is read once, then keeps one.
    from bot.incidents.grouping import stored_sums

    rt = make_runtime({"brands": [{"name": "星河消费金融"}]})
    with rt.sessions() as s, s.begin():
        s.add(Source(name="src", kind="rss", platform="weibo", cursor={}, created_at=clock.now()))
        s.flush()
        _, (first,) = accept(rt, s, [("n0", COMPLAINT + "被曝银保监立案", clock.now() - timedelta(hours=30))])
        s.get(Incident, s.get(Item, first).incident_id).tally = None  # as before running tallies
    reads: list[str] = []

    def count(conn, cursor, statement, *args):
        if "items.incident_id IN" in statement and "JOIN sources" in statement:
            reads.append(statement)

    event.listen(rt.engine, "before_cursor_execute", count)
    try:
        for batch in range(3):
            with rt.sessions() as s, s.begin():
                result, ids = accept(rt, s, [(f"n{batch}-{i}", f"{COMPLAINT}，第{i}次，{'变相收费' * (i % 3)}",
                                              clock.now() - timedelta(minutes=37 * i + batch)) for i in range(1, 21)])
            assert result.matched == 20 and result.incidents == 0
    finally:
        event.remove(rt.engine, "before_cursor_execute", count)
    assert len(reads) == 1  # the first batch, for the incident without a tally; none after
    with rt.sessions() as s:
        incident_id = s.get(Item, first).incident_id
        assert {s.get(Item, i).incident_id for i in ids} == {incident_id}
        incident = s.get(Incident, incident_id)
        store = BatchIncidentStore(s, GradingConfig(), clock.now())
        fresh_items = store.items(incident_id)
        fresh = summarise(fresh_items, clock.now(), GradingConfig())
        assert (incident.item_count, incident.engagement, sorted(incident.platforms), incident.first_seen_at,
                incident.last_seen_at) == (fresh.item_count, fresh.engagement, sorted(fresh.platforms),
                                           fresh.first_seen, fresh.last_seen)
        assert incident.tally == stored_sums(IncidentTally.of(fresh_items, GradingConfig()), fresh.last_seen)
        assert incident.tally["regulators"] and incident.item_count == 61
        # the spike window's count, from the stored tally plus one count query, equals the fresh one
        store.load_tallies([incident], {})
        assert store.stats(incident_id, clock.now()) == fresh


def test_a_post_older_than_the_window_never_joins_a_live_incident(sessions):
    """A year-old post (a feed's archive, a repost of an old story) neither joins the live incident of its event,
    as a near-duplicate or by event, nor opens a second one: it is kept ungrouped."""
    h = 0x1234_5678_9ABC_DEF0
    now = T0 + timedelta(days=365)
    window = timedelta(hours=CLUSTERING.window_hours)
    with sessions() as s, s.begin():
        live_id, _ = place(s, new_item(s, "live", h, now), "星河", "催收", h, now)
        old = new_item(s, "old", h ^ 0b1, T0)  # the same text, a year earlier, found today
        recent = new_item(s, "recent", 0x0F0F_0F0F_0F0F_0F0F, now - timedelta(hours=30))  # inside the window
        store = BatchIncidentStore(s, GradingConfig(), now, window)
        store.prefetch([("星河", bands(h ^ 0b1)), ("星河", bands(0x0F0F_0F0F_0F0F_0F0F))], T0 - window, now + window)
        graded = IncidentItem(T0, "src", "weibo", 1.0, 0, True)
        old_id, placement = assign(ClusterItem(str(old.id), "星河", "催收", h ^ 0b1, graded), store, CLUSTERING)
        assert old_id is None and placement.duplicate_of is None
        graded = IncidentItem(now - timedelta(hours=30), "src", "weibo", 1.0, 0, True)
        assert assign(ClusterItem(str(recent.id), "星河", "催收", 0x0F0F_0F0F_0F0F_0F0F, graded), store,
                      CLUSTERING)[0] == live_id
        placed = store.flush()
        s.expire_all()
        assert old.id not in placed and old.incident_id is None and recent.incident_id == live_id
        assert s.scalar(select(func.count()).select_from(Incident)) == 1


def test_a_band_lookup_reads_the_newest_few_of_a_value_starting_from_the_values_however_big_the_wave(sessions):
    """A repost wave of 300 items sharing every band: the lookup of its band values returns the newest few per
    value, and starts from the values (not from the incident's items, which would grow with the wave)."""
    from bot.incidents.grouping import _READ_PER_BAND, _sharing_band
    from tests.builders.incidents import make_incident

    h = 0x1234_5678_9ABC_DEF0
    with sessions() as s, s.begin():
        inc = make_incident(s, T0, brand="星河")
        rows = [new_item(s, f"w{n}", h, T0 + timedelta(seconds=n)) for n in range(300)]
        for row in rows:
            row.incident_id = inc.id
        s.flush()
        dialect = s.get_bind().dialect.name
        value = bands(h)[0]
        stmt = _sharing_band(dialect, 0, [value, value ^ 1], ["星河"], T0 - timedelta(hours=1), T0 + timedelta(hours=1))
        found = s.execute(stmt).all()
        assert sorted(r.id for r in found) == sorted(r.id for r in rows[-_READ_PER_BAND:])
        captured: list = []
        engine = s.get_bind()
        listen = lambda conn, cursor, statement, params, *a: captured.append((statement, params))  # noqa: E731
        event.listen(engine, "before_cursor_execute", listen)
        try:
            s.execute(stmt).all()
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        statement, params = captured[-1]
        if dialect == "sqlite":
            plan = [r[-1] for r in s.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)]
            assert plan[0].startswith("SCAN v"), plan
        else:
            plan = [r[0] for r in s.connection().exec_driver_sql("EXPLAIN " + statement, params)]
            text = "\n".join(plan)
            assert "Function Scan on unnest v" in text and "Limit" in text and "Backward" in text, text
