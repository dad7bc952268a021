"""Silences: parsed and validated, computed from time, expired by moving ends_at, consulted by is_muted."""
from datetime import timedelta

import pytest

from bot.alerting.silences import (
    BadSilence, Matcher, Subject, active_silences, create_silence, expire_silence, is_muted, parse_duration,
    parse_matcher, silence_state,
)
from bot.db import transaction
from bot.models import Silence
from sqlalchemy import select


@pytest.mark.parametrize(("text", "minutes"), [("30m", 30), ("2h", 120), ("1d", 1440), ("90分钟", 90),
                                               ("2小时", 120), ("3天", 4320), ("1.5h", 90)])
def test_durations(text, minutes):
    assert parse_duration(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["", "abc", "0m", "31d", "-1h", "2w"])
def test_bad_durations(text):
    with pytest.raises(BadSilence):
        parse_duration(text)


def test_matcher_names():
    assert parse_matcher("品牌") is Matcher.BRAND and parse_matcher("source") is Matcher.SOURCE
    assert parse_matcher("关键词") is Matcher.KEYWORD
    assert parse_matcher("等级") is Matcher.GRADE and parse_matcher("topic") is Matcher.TOPIC
    with pytest.raises(BadSilence):
        parse_matcher("作者")


def test_is_muted_and_expiry(make_runtime, clock):
    rt = make_runtime({})
    now = clock.now()
    with transaction(rt.sessions) as s:
        brand = create_silence(s, Matcher.BRAND, "青橙分期", timedelta(hours=2), "ou_li", now)
        create_silence(s, Matcher.KEYWORD, "招聘", timedelta(hours=1), "ou_li", now)
        create_silence(s, Matcher.SOURCE, "weibo-x", timedelta(minutes=10), "ou_li", now)
        create_silence(s, Matcher.GRADE, "minor", timedelta(hours=1), "ou_li", now)
        create_silence(s, Matcher.TOPIC, "招聘信息", timedelta(hours=1), "ou_li", now)

    def subject(brand, source, text="", grade="一般", topics=()):
        return Subject(brand, grade, tuple(topics), (source,), text)

    with rt.sessions() as s:
        assert is_muted(s, subject("青橙分期", "news"), now).id == brand.id
        assert is_muted(s, subject("星河消费金融", "news", "星河诚聘 招聘 催收专员"), now).matcher == "keyword"
        assert is_muted(s, subject("星河消费金融", "weibo-x"), now).matcher == "source"
        assert is_muted(s, subject("星河消费金融", "news", grade="轻微"), now).matcher == "grade"
        assert is_muted(s, subject("星河消费金融", "news", topics=["招聘信息"]), now).matcher == "topic"
        assert is_muted(s, subject("星河消费金融", "news", "暴力催收", topics=["催收"]), now) is None
        assert is_muted(s, subject("星河消费金融", "weibo-x"), now + timedelta(minutes=11)) is None
    with transaction(rt.sessions) as s:
        expire_silence(s, brand.id, now + timedelta(minutes=1))
        with pytest.raises(BadSilence):
            expire_silence(s, brand.id, now + timedelta(minutes=2))
    with rt.sessions() as s:
        row = s.get(Silence, brand.id)
        assert silence_state(row, now + timedelta(minutes=2)) == "expired"
        assert len(active_silences(s, now + timedelta(minutes=2))) == 4
        assert s.scalar(select(Silence.value).where(Silence.matcher == "grade")) == "轻微"
