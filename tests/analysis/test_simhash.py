import random

import pytest

from bot.analysis.pipeline import Document
from bot.analysis.simhash import BandedIndex, bands, distance, simhash, to_signed


def _naive(words):
    from bot.analysis.simhash import _word_hash
    v = [0] * 64
    for w in set(words):
        h = _word_hash(w)
        for i in range(64):
            v[i] += 1 if h >> i & 1 else -1
    return sum(1 << i for i in range(64) if v[i] > 0)


def test_simhash_equals_the_textbook_definition():
    rng = random.Random(7)
    for _ in range(50):
        words = [str(rng.randrange(10_000)) for _ in range(rng.randrange(1, 200))]
        assert simhash(words) == _naive(words)


def test_simhash_is_64_bit_and_stable():
    h = simhash(["安逸花", "暴力", "催收"])
    assert 0 <= h < 1 << 64
    assert h == 0xC53EEA15859DE0E9  # stored in the DB: the same in every process
    assert simhash(["催收", "暴力", "安逸花", "催收"]) == h  # a bag of distinct words: order and repeats do not matter
    assert simhash([]) == 0


def test_bands_split_the_value_into_four_16_bit_parts():
    assert bands(0x0001_0002_0003_0004) == (4, 3, 2, 1)
    assert to_signed((1 << 64) - 1) == -1 and to_signed(5) == 5


def test_reposts_are_near_duplicates_and_other_texts_are_not(analyzer):
    def h(text):
        return analyzer.analyze(Document(id="x", title="", text=text)).simhash
    base = ("安逸花暴力催收，每天打几十个电话，还爆了我的通讯录，联系了我的同事和家人，"
            "我已经向金融监管总局和黑猫投诉反映，希望有关部门尽快处理这家平台的违规行为。")
    assert distance(h(base), h("转发：" + base + "！！")) <= 3
    assert distance(h(base), h("马上消费金融发布年度报告，营收稳步增长，科技投入持续加大，获评优秀企业。")) > 10


@pytest.mark.parametrize("flip_bits, found", [(0, True), (1, True), (3, True), (4, False), (20, False)])
def test_banded_index_finds_items_within_three_bits(flip_bits, found):
    index = BandedIndex(max_distance=3)
    stored = 0x1234_5678_9ABC_DEF0
    index.add("a", stored)
    index.add("b", stored ^ ((1 << 64) - 1))
    # flip bits spread over all four bands, the worst case for banding
    probe = stored
    for i in range(flip_bits):
        probe ^= 1 << ((i * 17) % 64)
    assert ([k for k, _ in index.near(probe)] == ["a"]) is found


def test_banded_index_rejects_a_distance_it_cannot_guarantee():
    with pytest.raises(ValueError):
        BandedIndex(max_distance=4)
