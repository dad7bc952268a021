"""The risk index as a stored series: recomputed from the items, a jump alerts the owner once (real lark-oapi
client against the fake Feishu), and it is read by /risk (a card with a chart), `yuqing risk` and the API."""
import csv
import io
import json
from datetime import datetime, timezone

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from bot.feishu.events import parse_event
from bot.models import Delivery, EntityRisk
from handlers.app import ChatOps
from handlers.http_server import HttpServer
from handlers.risk_api import risk_routes
from jobs.deliver import deliver_due
from jobs.risk import refresh_risk
from tests.builders.feishu_events import message_event
from tests.conftest import write_config
from tests.watchlists.conftest import CONFIG, CREDIT, RM, push

QUIET = ["恒远集团举办年度供应商大会，发布新项目", "恒远集团新楼盘开盘，现场人气很旺"]
STORM = ["恒远集团债务违约，多笔贷款逾期未还", "恒远集团被列为失信被执行人", "恒远地产美元债实质性违约",
         "恒远集团申请破产重整", "恒远集团股权冻结，债权人起诉", "恒远集团评级下调至CC"]


def risk_rows(rt) -> list[EntityRisk]:
    with rt.sessions() as s:
        return list(s.scalars(select(EntityRisk).where(EntityRisk.entity == "恒远集团").order_by(EntityRisk.day)))


def storm(rt, clock):
    push(rt, *QUIET)
    clock.advance(days=1)
    push(rt, *STORM)


def test_a_jump_alerts_the_owner_once_in_the_credit_chat(wrt, client, feishu, clock):
    push(wrt, *QUIET)
    assert refresh_risk(wrt) == []
    clock.advance(days=1)
    push(wrt, *STORM)
    assert refresh_risk(wrt) == ["恒远集团"]
    assert refresh_risk(wrt) == []  # once a day, however often the tick runs
    push(wrt, "恒远集团再曝违约")
    assert refresh_risk(wrt) == []
    deliver_due(wrt, client)
    [alert] = [m for m in feishu.in_chat(CREDIT) if m.msg_type == "text"]
    assert alert.content["text"].startswith("📈 舆情风险指数跳升：恒远集团（借款企业）") and alert.mentions == [RM]
    *_, yesterday, today = risk_rows(wrt)
    assert today.index - yesterday.index >= 20 and today.alerted_at == clock.now()
    assert (yesterday.volume, yesterday.negative, yesterday.index) == (2, 0, 0.0)
    assert today.negative >= 5 and today.severity == 1.0
    for name in ("王建国", "云帆支付"):  # the others had nothing: a row of zeros each, no alert
        with wrt.sessions() as s:
            assert {r.index for r in s.scalars(select(EntityRisk).where(EntityRisk.entity == name))} == {0.0}


def test_risk_command_answers_with_the_index_a_chart_and_the_top_stories(wrt, client, feishu, clock):
    storm(wrt, clock)
    chat = ChatOps(wrt)
    typed = client.send(CREDIT, "text", {"text": "/risk 恒远地产"}, "u-risk").message_id  # the member's message
    reply = chat.dispatcher.handle_message(parse_event(message_event("/risk 恒远地产", chat_id=CREDIT,
                                                                     message_id=typed)))
    card = reply.card
    assert card["header"]["title"]["content"] == "舆情风险 · 恒远集团（借款企业 · 重点）"
    [chart] = [e for e in card["body"]["elements"] if e["tag"] == "chart"]
    values = chart["chart_spec"]["data"][0]["values"]
    assert len(values) == 30 and values[-1]["index"] > 0 and values[-2]["index"] == values[0]["index"] == 0
    assert "违约" in json.dumps(card, ensure_ascii=False)
    deliver_due(wrt, client)
    [sent] = [m for m in feishu.replies_to(typed) if m.msg_type == "interactive"]
    assert sent.content["body"]["elements"][2]["tag"] == "chart"
    bad = chat.dispatcher.handle_message(parse_event(message_event("/risk 恒远集", chat_id=CREDIT)))
    assert "不是关注对象，是不是「恒远集团」" in bad.text
    assert "天数应为" in chat.dispatcher.handle_message(parse_event(message_event("/风险 恒远集团 0"))).text


def test_cli_gives_the_series_as_csv_and_json(wrt, clock, tmp_path, db_url):
    # the CLI runs on the system clock: the storm is pushed a few hours ago by it
    clock.advance(seconds=(datetime.now(timezone.utc) - clock.now()).total_seconds() - 2 * 86400 + 60)
    storm(wrt, clock)
    path = write_config(tmp_path, {**CONFIG, "database": {"url": db_url, "auto_migrate": False}})
    out = CliRunner().invoke(main, ["risk", "恒远集团", "-c", str(path), "--days", "5"])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.output)))
    assert len(rows) == 5 and rows[0]["entity"] == "恒远集团" and rows[0]["kind"] == "borrower"
    assert [int(r["volume"]) for r in rows] in ([0, 0, 2, 6, 0], [0, 0, 0, 2, 6])  # around local midnight
    stormy = [r for r in rows if float(r["index"]) > 0]
    assert len(stormy) == 1 and "违约" in stormy[0]["reasons"]
    js = CliRunner().invoke(main, ["risk", "恒远地产", "-c", str(path), "--format", "json"])
    doc = json.loads(js.output)
    assert doc["entity"] == "恒远集团" and len(doc["series"]) == 30 and len(doc["top_stories"]) == 5
    bad = CliRunner().invoke(main, ["risk", "恒远", "-c", str(path)])
    assert bad.exit_code == 2 and "'恒远' is not a watched entity" in bad.output


@pytest.fixture
def api(wrt):
    server = HttpServer("127.0.0.1", 0, risk_routes(wrt, {"YUQING_API_TOKEN": "s3cret"})).start()
    yield server
    server.stop()


def test_api_is_token_protected_and_gives_json_or_csv(wrt, clock, api):
    storm(wrt, clock)
    url = f"{api.url}/api/risk/恒远集团"
    auth = {"Authorization": "Bearer s3cret"}
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401
    r = httpx.get(url, headers=auth, params={"days": 7})
    assert r.status_code == 200
    doc = r.json()
    assert doc["entity"] == "恒远集团" and len(doc["series"]) == 7 and doc["series"][-1]["index"] > 0
    assert doc["series"][-1]["negative_share"] >= 0.8
    r = httpx.get(url, headers=auth, params={"format": "csv", "days": 2})
    assert r.headers["content-type"].startswith("text/csv") and len(r.text.strip().splitlines()) == 3
    assert httpx.get(f"{api.url}/api/risk/无名公司", headers=auth).status_code == 404
    assert httpx.get(url, headers=auth, params={"days": "0"}).status_code == 400
    assert httpx.get(url, headers=auth, params={"format": "xml"}).status_code == 400


def test_api_refuses_without_a_configured_token(wrt):
    server = HttpServer("127.0.0.1", 0, risk_routes(wrt, {})).start()
    try:
        r = httpx.get(f"{server.url}/api/risk/恒远集团", headers={"Authorization": "Bearer anything"})
        assert r.status_code == 503
    finally:
        server.stop()
    with wrt.sessions() as s:
        assert s.scalars(select(Delivery)).all() == []
