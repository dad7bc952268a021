"""POST/GET /ingest/{source} on the bot's HTTP server, against the test database."""
import json
import logging

import httpx
import pytest
from sqlalchemy import func, select

from bot.models import Item, Source
from handlers.http_server import HttpServer
from handlers.ingest_webhook import ingest_routes
from tests.conftest import REPO

FIXTURES = REPO / "tests/fixtures"
BATCH = (FIXTURES / "webhook_batch.json").read_bytes()
TOKEN = "s3cret-token"


@pytest.fixture
def server(make_runtime):
    rt = make_runtime({"sources": [{"name": "heimao", "kind": "webhook", "token_env": "HEIMAO_TOKEN",
                                    "platform": "complaint"},
                                   {"name": "nokey", "kind": "webhook", "token_env": "UNSET_TOKEN"},
                                   {"name": "rss", "kind": "rss", "url": "http://127.0.0.1:9/x"}],
                       "brands": [{"name": "星河消费金融"}]})
    srv = HttpServer("127.0.0.1", 0, ingest_routes(rt, env={"HEIMAO_TOKEN": TOKEN})).start()
    srv.rt = rt
    yield srv
    srv.stop()


def stored(rt) -> int:
    with rt.sessions() as s:
        return s.scalar(select(func.count()).select_from(Item))


def post(server, body, token=TOKEN, source="heimao", **kw):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{server.url}/ingest/{source}", content=body, headers=headers, **kw)


def test_batch_is_stored_once_and_answered_202(server):
    r = post(server, BATCH)
    assert r.status_code == 202
    assert r.json() == {"received": 2, "accepted": 2, "stored": 2, "duplicates": 0, "matched": 1, "rejected": []}
    again = post(server, BATCH)
    assert again.json()["stored"] == 0 and again.json()["duplicates"] == 2 and stored(server.rt) == 2
    with server.rt.sessions() as s:
        src = s.scalar(select(Source).where(Source.name == "heimao"))
        item = s.scalar(select(Item).where(Item.external_id == "ts-20261123-001"))
    assert src.items_fetched == 2 and src.last_success_at is not None
    assert item.platform == "complaint" and item.likes == 30 and item.published_at is not None


def test_single_item_and_bare_array(server):
    one = json.loads(BATCH)["items"][0]
    assert post(server, json.dumps(one)).json()["stored"] == 1
    assert post(server, json.dumps([one])).json()["duplicates"] == 1


def test_broken_batch_keeps_good_items_and_names_the_rejected(server, caplog):
    with caplog.at_level(logging.WARNING):
        r = post(server, (FIXTURES / "webhook_batch_broken.json").read_bytes())
    assert r.status_code == 202 and r.json()["stored"] == 1
    assert r.json()["rejected"] == [{"index": 1, "error": "no title and no text"},
                                    {"index": 2, "error": "not a JSON object"},
                                    {"index": 3, "error": "no id and no link"}]
    assert "source heimao: entry 3 skipped: not a JSON object" in caplog.text


def test_weibo_crawler_post_mode_sent_as_get_with_api_token(server):
    body = (FIXTURES / "weibo_crawler_post.json").read_bytes()
    r = httpx.request("GET", f"{server.url}/ingest/heimao", content=body,
                      headers={"api-token": TOKEN, "Content-Type": "application/json"})
    assert r.status_code == 200 and r.json()["stored"] == 2
    with server.rt.sessions() as s:
        item = s.scalar(select(Item).where(Item.external_id == "5012999988887777"))
    assert item.url == "https://weibo.com/1669879400/PkXyZ1aBc" and item.author == "维权小分队"
    assert item.likes == 321 and item.reposts == 12 and "催收" in item.text


@pytest.mark.parametrize("body, token, source, status, logged", [
    (BATCH, "wrong", "heimao", 401, "ingest heimao: bad or missing token"),
    (BATCH, "", "heimao", 401, "ingest heimao: bad or missing token"),
    (BATCH, TOKEN, "nokey", 503, "environment variable UNSET_TOKEN is not set"),
    (BATCH, TOKEN, "rss", 404, None),
    (BATCH, TOKEN, "ghost", 404, None),
    (b"", TOKEN, "heimao", 400, "ingest heimao: rejected body from 127.0.0.1: empty body"),
    (b'{"items": [', TOKEN, "heimao", 400, "malformed JSON"),
    (b'{"items": 5}', TOKEN, "heimao", 400, '"items" must be a JSON array'),
    (b'"just a string"', TOKEN, "heimao", 400, "expected an item"),
])
def test_refusals_store_nothing(server, caplog, body, token, source, status, logged):
    with caplog.at_level(logging.WARNING):
        r = post(server, body, token=token, source=source)
    assert r.status_code == status and stored(server.rt) == 0
    if logged:
        assert logged in caplog.text


def test_poisoned_records_are_cleaned_or_rejected_alone_and_the_rest_stored(server):
    # NUL and lone surrogates anywhere are dropped; a value no column can hold rejects that record only
    good = {"id": "p-1", "title": "星河消费金融 扣款", "content": "未经同意扣款", "url": "https://t.example.com/p/1"}
    nul = {"id": "p-\u00002", "title": "标题\u0000含空字符", "content": "正文\u0000", "author": "用户\u0000甲",
           "url": "https://t.example.com/p/\u00002"}
    surrogate = '{"id": "p-3\\ud800", "title": "孤立代理\\udfff字符", "content": "正文\\ud83d", "author": "乙\\udc00"}'
    huge = {"id": "p-4", "title": "阅读数溢出", "content": "正文", "views": 1e20}
    body = "[" + ",".join([json.dumps(good), json.dumps(nul), surrogate, json.dumps(huge)]) + "]"
    r = post(server, body.encode())
    assert r.status_code == 202, r.text
    answer = r.json()
    assert (answer["received"], answer["stored"], answer["duplicates"]) == (4, 3, 0)
    assert [x["index"] for x in answer["rejected"]] == [3]
    assert "refused by the database" in answer["rejected"][0]["error"]
    with server.rt.sessions() as s:
        rows = {i.external_id: i for i in s.scalars(select(Item))}
    assert set(rows) == {"p-1", "p-2", "p-3"}
    assert (rows["p-2"].title, rows["p-2"].text, rows["p-2"].author) == ("标题含空字符", "正文", "用户甲")
    assert rows["p-2"].url == "https://t.example.com/p/2"
    assert (rows["p-3"].title, rows["p-3"].text, rows["p-3"].author) == ("孤立代理字符", "正文", "乙")
    assert post(server, body.encode()).json()["duplicates"] == 3  # the cleaned ids are stable
