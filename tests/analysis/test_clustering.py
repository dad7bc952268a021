from datetime import datetime, timedelta, timezone

import pytest

from bot.analysis.clustering import ClusterItem, MemoryIncidentStore, assign, decide
from bot.analysis.grading import IncidentItem
from bot.config.analysis import ClusteringConfig

T0 = datetime(2024, 5, 1, 10, tzinfo=timezone.utc)
CONFIG = ClusteringConfig(window_hours=48, max_distance=3)


def item(id, brand="安逸花", event="催收", simhash=0xFFFF_0000_FFFF_0000, hours=0.0):
    graded = IncidentItem(T0 + timedelta(hours=hours), "src", "微博", 1.0, 0, True)
    return ClusterItem(id, brand, event, simhash, graded)


def test_first_item_opens_an_incident():
    store = MemoryIncidentStore()
    incident, placement = assign(item("1"), store, CONFIG)
    assert incident == 1 and placement.incident_id is None and "新事件" in placement.reason


@pytest.mark.parametrize("second, joins", [
    (item("2", simhash=0xFFFF_0000_FFFF_0001, event="其他"), True),   # near-duplicate, even of another topic
    (item("2", simhash=0x1234_5678_9ABC_DEF0), True),                 # same brand and event
    (item("2", brand="360借条"), False),                               # other brand
    (item("2", event="利率与费用", simhash=0x1234_5678_9ABC_DEF0), False),  # other event, not a copy
    (item("2", hours=49), False),                                     # outside the window
    (item("2", simhash=0xFFFF_0000_FFFF_0001, hours=49), False),      # a copy, but too late
])
def test_join_or_open(second, joins):
    store = MemoryIncidentStore()
    first, _ = assign(item("1"), store, CONFIG)
    incident, placement = assign(second, store, CONFIG)
    assert (incident == first) is joins
    assert (placement.incident_id == first) is joins


def test_duplicate_placement_names_the_original():
    store = MemoryIncidentStore()
    assign(item("1"), store, CONFIG)
    placement = decide(item("2", simhash=0xFFFF_0000_FFFF_0003), store, CONFIG)
    assert placement.duplicate_of == "1" and "相差 2 位" in placement.reason


def test_window_slides_with_the_last_item():
    store = MemoryIncidentStore()
    first, _ = assign(item("1"), store, CONFIG)
    assign(item("2", simhash=1, hours=40), store, CONFIG)
    incident, _ = assign(item("3", simhash=2, hours=80), store, CONFIG)
    assert incident == first
    assert len(store.items(first)) == 3
