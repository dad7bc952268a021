import pytest

from bot.items.normalise import RawEntry, UnusableEntry, normalise
from bot.items.records import entry_from_record, get_path, lookup
from tests.items.test_times import NOW

RECORD = {"mid": "42", "user": {"name": "张三", "id": "u1"}, "pics": [{"url": "a"}, {"url": "b"}],
          "stats": {"like": "1.2万", "read": ""}, "bid": "Pk1"}


@pytest.mark.parametrize("spec, expected", [
    ("mid", "42"),
    ("user.name", "张三"),
    ("pics.1.url", "b"),
    ("missing|user.name", "张三"),
    ("stats.read|stats.like", "1.2万"),  # empty values fall through
    ("https://weibo.com/{user.id}/{bid}", "https://weibo.com/u1/Pk1"),
    ("https://weibo.com/{user.id}/{nope}|https://m.weibo.cn/detail/{mid}", "https://m.weibo.cn/detail/42"),
    ("nope.deeper", None),
    ("", None),
])
def test_lookup(spec, expected):
    assert lookup(RECORD, spec) == expected


def test_get_path_empty_is_the_record():
    assert get_path(RECORD, "") is RECORD and get_path([1], "x") is None


def test_record_to_normalised_item_with_counts():
    fields = {"id": "mid", "title": "", "content": "text", "author": "user.name", "likes": "stats.like"}
    entry = entry_from_record({**RECORD, "text": "<p>星河分期</p>"}, fields)
    item = normalise(entry, "s", "weibo", NOW)
    assert (item.external_id, item.text, item.author, item.likes) == ("42", "星河分期", "张三", 12000)


def test_entries_without_id_or_text_are_unusable():
    with pytest.raises(UnusableEntry, match="no title and no text"):
        normalise(RawEntry(external_id="1"), "s", "news", NOW)
    with pytest.raises(UnusableEntry, match="no id and no link"):
        normalise(RawEntry(title="t"), "s", "news", NOW)
