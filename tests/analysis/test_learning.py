"""The team teaches it: /fp and /miss store labelled examples, `yuqing train` learns them and the bot uses the
stored model; the shipped model is the default."""
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli import main
from bot.db import make_engine, make_session_factory, transaction
from bot.incidents.intake import analyzer_for
from bot.models import Item, Label, Source, TrainedModel
from tests.builders.incidents import CONFIG, make_incident
from tests.clock import FakeClock
from tests.conftest import write_config

BRANDS = {"brands": [{"name": "星河消费金融"}]}
# a complaint in words the shipped model does not know: 薅羊毛 said of a lender exploiting its customers
SLANG = [f"星河消费金融又在薅用户羊毛，这是第{n}次了，{tail}" for n, tail in enumerate(
    ["大家看看", "谁来管管", "服了", "真行", "我算是看透了", "朋友也遇到", "还有谁", "第二个月了", "怎么说", "一言难尽"], 1)]


def _setup(tmp_path):
    db = tmp_path / "t.db"
    cfg = write_config(tmp_path, {**CONFIG, **BRANDS, "database": {"url": f"sqlite:///{db}"}})
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade", "-c", str(cfg)]).exit_code == 0
    return cfg, runner, make_session_factory(make_engine(f"sqlite:///{db}"))


def test_miss_and_fp_store_labels(tmp_path):
    cfg, runner, sessions = _setup(tmp_path)
    now = FakeClock().now()
    with transaction(sessions) as s:
        s.add(Source(name="src", kind="rss", platform="weibo", cursor={}, created_at=now))
        s.flush()
        src = s.scalar(select(Source.id))
        inc = make_incident(s, now)
        for n, neg in ((1, True), (2, True), (3, False)):
            s.add(Item(source_id=src, external_id=str(n), url=f"https://weibo.example.com/p/{n}",
                       url_key=None if n != 3 else "x", platform="weibo", title="", text=f"第{n}条 星河消费金融招聘会",
                       fetched_at=now, negative=neg, incident_id=inc.id, brands=[], topics=[]))
        stored = Item(source_id=src, external_id="9", url="https://bbs.example.com/t/9", platform="forum", title="标题",
                      text="星河消费金融的客服一问三不知", fetched_at=now, brands=[], topics=[])
        from bot.items.normalise import url_key
        stored.url_key = url_key("https://bbs.example.com/t/9")
        s.add(stored)
        iid = inc.id
    script = (f"/miss 星河消费金融又在薅用户羊毛\n/漏报 https://bbs.example.com/t/9?utm_source=x\n"
              f"/miss https://nowhere.example.com/a\n/miss 短\n/fp {iid} 招聘广告\n")
    out = runner.invoke(main, ["console", "-c", str(cfg), "--as", "张三"], input=script)
    assert out.exit_code == 0, out.output
    assert "已记录漏报样本 #1" in out.output
    assert "已记录漏报样本 #2（已抓取的内容" in out.output
    assert "没有找到这个链接的内容" in out.output and "原文太短" in out.output
    assert f"#{iid} 已由 张三 标记为误报" in out.output
    with sessions() as s:
        labels = s.scalars(select(Label).order_by(Label.id)).all()
        assert [(l.kind, l.negative) for l in labels] == [("miss", True), ("miss", True), ("fp", False), ("fp", False)]
        assert labels[1].text == "标题\n星河消费金融的客服一问三不知" and labels[1].item_id is not None
        assert {l.text for l in labels[2:]} == {"第1条 星河消费金融招聘会", "第2条 星河消费金融招聘会"}
        assert all(l.created_by == "ou_zhang" for l in labels)


def test_train_reports_before_and_after_and_the_bot_uses_the_stored_model(tmp_path):
    cfg, runner, sessions = _setup(tmp_path)
    few = runner.invoke(main, ["train", "-c", str(cfg)])
    assert few.exit_code == 1 and "需要至少 5 条标注" in few.output
    script = "".join(f"/miss {t}\n" for t in SLANG)
    assert runner.invoke(main, ["console", "-c", str(cfg), "--as", "张三"], input=script).exit_code == 0
    out = runner.invoke(main, ["train", "-c", str(cfg)])
    assert out.exit_code == 0, out.output
    assert "10 labels: trained on 8, measured on 2 held out" in out.output
    before = next(l for l in out.output.splitlines() if l.startswith("| before"))
    after = next(l for l in out.output.splitlines() if l.startswith("| after"))
    assert before.split("|")[3].strip() == "0.000"      # recall: the shipped model missed the held-out two
    assert after.split("|")[3].strip() == "1.000"       # the labels taught it
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(TrainedModel)) == 1
    # the bot analyses with the stored model from its next batch; a fresh text in the same words is negative
    from bot.config import load_config
    from bot.runtime import Runtime

    rt = Runtime.open(load_config(cfg, env={}), clock=FakeClock(), migrate=False)
    doc = __import__("bot.analysis.pipeline", fromlist=["Document"]).Document(
        id="x", title="", text="星河消费金融薅羊毛薅到老用户头上了")
    with rt.sessions() as s:
        assert analyzer_for(rt.config, s).analyze(doc).negative  # what a scan chunk analyses with
    assert not analyzer_for(rt.config).analyze(doc).negative  # the shipped model: missed
    rt.close()
