"""Feed → `yuqing scan --once` → the fake Feishu shows a card in the configured chat; a re-run adds nothing."""
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli import main
from bot.db import make_engine
from bot.models import Delivery, Item
from tests.conftest import REPO, write_config

FEED = (REPO / "tests/fixtures/weibo_rsshub.xml").read_bytes()
CHAT = "oc_crisis_room"


@pytest.fixture
def config_path(tmp_path, sources, feishu, db_url):
    url = sources.serve("/weibo/keyword/xinghe", FEED, etag='"e1"')
    return write_config(tmp_path, {
        "feishu": {"domain": feishu.url, "timeout": 2},
        "database": {"url": db_url},
        "sources": [{"name": "weibo-xinghe", "kind": "rss", "url": url, "platform": "weibo", "interval": 60}],
        "brands": [{"name": "星河消费金融", "aliases": ["星河分期"]}],
        # the fixture's posts have fixed dates: freshness is not what these tests are about
        "alerting": {"chats": {"crisis": CHAT}, "routes": {"default": ["crisis"]}, "max_age_hours": 1_000_000},
    })


def count(db_url, model) -> int:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        n = conn.scalar(select(func.count()).select_from(model))
    engine.dispose()
    return n


def scan(config_path, env, *extra):
    result = CliRunner().invoke(main, ["scan", "--once", "-c", str(config_path), *extra], env=env)
    assert result.exit_code == 0, result.output
    return result


def test_feed_to_card_and_no_duplicates_on_rescan(config_path, feishu, app_env, db_url):
    scan(config_path, app_env)
    cards = feishu.in_chat(CHAT)
    assert len(cards) == 2  # two of the three posts are complaints about the brand
    first = cards[0]
    assert first.msg_type == "interactive" and first.content["schema"] == "2.0"
    assert "被星河消费金融的催收电话打爆了" in first.text
    assert "https://weibo.com/1234567890/PkRz1aBcD" in first.text
    assert count(db_url, Item) == 3

    scan(config_path, app_env)
    assert len(feishu.in_chat(CHAT)) == 2
    assert count(db_url, Item) == 3


def test_injected_markup_reaches_the_chat_as_text(config_path, feishu, app_env):
    scan(config_path, app_env)
    spam = next(m for m in feishu.in_chat(CHAT) if "投诉入口" in m.text)
    assert "<at" not in spam.text and "](https://evil" not in spam.text
    assert "refer_flag" not in spam.text and "utm_source" not in spam.text  # canonical link


def test_without_credentials_cards_are_printed_and_nothing_is_sent(config_path, feishu):
    result = scan(config_path, {"FEISHU_APP_ID": "", "FEISHU_APP_SECRET": ""})
    assert "星河消费金融 · 舆情告警" in result.output
    assert "被星河消费金融的催收电话打爆了" in result.output
    assert feishu.requests == []


def test_dry_run_prints_and_stores_nothing(config_path, feishu, app_env, db_url):
    result = scan(config_path, app_env, "--dry-run")
    assert "被星河消费金融的催收电话打爆了" in result.output
    assert "dry run: nothing stored" in result.output
    assert feishu.requests == []
    assert count(db_url, Item) == 0 and count(db_url, Delivery) == 0


def test_feishu_outage_loses_nothing_and_posts_once(config_path, feishu, app_env, db_url):
    feishu.down()
    scan(config_path, app_env)
    assert feishu.in_chat(CHAT) == []
    engine = make_engine(db_url)
    with engine.begin() as conn:  # the backoff is due now: as if the wait had passed
        pending = conn.scalar(select(func.count()).select_from(Delivery).where(Delivery.status == "pending"))
        conn.execute(Delivery.__table__.update().values(next_attempt_at=Delivery.created_at))
    engine.dispose()
    assert pending == 2
    feishu.up()
    scan(config_path, app_env)  # the next run delivers what waited
    scan(config_path, app_env)
    assert len(feishu.in_chat(CHAT)) == 2


def test_unknown_source_name_is_a_clear_error(config_path, app_env):
    result = CliRunner().invoke(main, ["scan", "--once", "--source", "nope", "-c", str(config_path)], env=app_env)
    assert result.exit_code == 2 and "--source nope: no such source" in result.output


def test_card_carries_brand_in_header(config_path, feishu, app_env):
    scan(config_path, app_env)
    header = feishu.in_chat(CHAT)[0].content["header"]
    assert header["title"]["content"].endswith("星河消费金融 · 舆情告警")
    assert json.dumps(header["title"], ensure_ascii=False).count("星河消费金融") == 1
