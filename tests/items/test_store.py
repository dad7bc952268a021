"""Storing a batch: one dedup query and one insert; only the duplicate constraints mean "already stored"."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import event, func, select, text

from bot.items.normalise import NormalisedItem
from bot.items.store import StoreError, insert_items, item_values, unstored
from bot.models import Item, Source

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


def item(ext: str, url: str | None = None) -> NormalisedItem:
    return NormalisedItem("src", "weibo", ext, url, f"标题{ext}", f"正文{ext}", None, T0, T0)


def store(s, items: list[NormalisedItem]):
    source = s.scalar(select(Source).where(Source.name == "src"))
    fresh = unstored(s, source, items)
    return fresh, insert_items(s, source, fresh, [item_values(source, i, 1.0, {}) for i in fresh])


def count(sessions) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(Item))


def test_one_dedup_query_and_one_insert_per_batch(sessions):
    with sessions() as s, s.begin():
        store(s, [item("a", "https://x.example.com/1"), item("b")])
    statements: list[str] = []
    engine = sessions.kw["bind"]
    listen = lambda conn, cursor, statement, *a: statements.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        with sessions() as s, s.begin():
            batch = [item("a"), item("c", "https://x.example.com/1"), item("d", "https://x.example.com/2"),
                     item("d"), item("e", "https://x.example.com/2")] + [item(f"n{i}") for i in range(50)]
            fresh, (ids, rejected) = store(s, batch)
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    # a: stored id; c: stored URL; the second d and e: the batch's own duplicates (by id, by URL)
    assert [i.external_id for i in fresh] == ["d"] + [f"n{i}" for i in range(50)]
    assert set(ids) == {i.external_id for i in fresh} and rejected == []
    work = [st for st in statements if not st.upper().startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"))]
    assert len(work) == 3, work  # the source, the dedup query, the insert
    assert count(sessions) == 53


def test_a_url_a_racing_writer_stored_meanwhile_is_a_duplicate_not_an_error(sessions):
    with sessions() as s, s.begin():
        store(s, [item("a", "https://x.example.com/1")])
    with sessions() as s, s.begin():
        source = s.scalar(select(Source).where(Source.name == "src"))
        batch = [item("b"), item("c", "https://x.example.com/1"), item("d")]  # c was not checked: a race
        ids, rejected = insert_items(s, source, batch, [item_values(source, i, 1.0, {}) for i in batch])
    assert set(ids) == {"b", "d"} and rejected == [] and count(sessions) == 3


def test_any_other_integrity_error_fails_loudly_naming_the_item_and_the_constraint(sessions):
    with sessions() as s, s.begin():
        store(s, [item("a")])
    with pytest.raises(StoreError) as err:
        with sessions() as s, s.begin():
            ghost = Source(id=999, name="ghost", kind="rss", platform="weibo", cursor={}, created_at=T0)
            batch = [item("b"), item("c")]
            insert_items(s, ghost, batch, [item_values(ghost, i, 1.0, {}) for i in batch])
    assert err.value.external_id == "b"
    assert err.value.constraint in ("fk_items_source_id_sources", "foreign key")  # SQLite does not name it
    assert "'b'" in str(err.value) and "ghost" in str(err.value)
    assert count(sessions) == 1


def test_an_id_sequence_behind_the_data_is_not_taken_for_already_stored(sessions, db_url):
    # the silent loss once seen: a restored dump left the sequence behind, and every insert hit the primary key
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite's rowid cannot fall behind the data")
    with sessions() as s, s.begin():
        store(s, [item("a"), item("b")])
        s.execute(text("SELECT setval(pg_get_serial_sequence('items', 'id'), 1, false)"))
    with pytest.raises(StoreError) as err:
        with sessions() as s, s.begin():
            store(s, [item("c"), item("d")])
    assert err.value.external_id == "c" and err.value.constraint == "pk_items"
    assert count(sessions) == 2
