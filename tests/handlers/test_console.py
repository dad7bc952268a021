"""`yuqing console` runs the same handlers against the local database, non-interactively on stdin."""
from click.testing import CliRunner

from bot.cli import main
from bot.db import make_engine, make_session_factory, transaction
from tests.builders.incidents import CONFIG, make_incident
from tests.clock import FakeClock
from tests.conftest import write_config


def test_console_plays_a_member_through_a_whole_incident(tmp_path):
    db = tmp_path / "c.db"
    cfg = write_config(tmp_path, {**CONFIG, "database": {"url": f"sqlite:///{db}"}})
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade", "-c", str(cfg)]).exit_code == 0
    engine = make_engine(f"sqlite:///{db}")
    with transaction(make_session_factory(engine)) as s:
        iid = make_incident(s, FakeClock().now()).id
    engine.dispose()
    script = f"/ack {iid}\n/grade {iid} 重大\n/button resolve {iid}\n/incident {iid}\n/silence 关键词 招聘 1d\n/nope\n"
    out = runner.invoke(main, ["console", "-c", str(cfg), "--as", "张三"], input=script)
    assert out.exit_code == 0, out.output
    assert f"#{iid} 已由 张三 认领" in out.output
    assert "定级需要负责人权限" in out.output or "需要负责人权限" in out.output
    assert f"#{iid} 已由 张三 标记为已解决" in out.output
    assert "时间线：" in out.output and "张三（控制台）认领了事件" in out.output
    assert "不认识的指令「nope」" in out.output and "Traceback" not in out.output
    lead = runner.invoke(main, ["console", "-c", str(cfg), "--as", "ou_li"], input="/silence 关键词 招聘 1d\n/silences\n")
    assert "已屏蔽 #1：关键词「招聘」" in lead.output and "#1 关键词「招聘」" in lead.output
    assert runner.invoke(main, ["console", "-c", str(cfg), "--as", "nobody"], input="").exit_code == 2


def test_the_readme_console_example_works_on_the_shipped_config(tmp_path):
    import shutil

    from tests.conftest import REPO

    shutil.copy(REPO / "config.yaml", tmp_path / "config.yaml")
    shutil.copytree(REPO / "samples", tmp_path / "samples")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "yuqing console --as 张三" in readme
    out = CliRunner().invoke(main, ["console", "-c", str(tmp_path / "config.yaml"), "--as", "张三"],
                             input="/whoami\n", env={"YUQING_DATABASE_URL": ""})
    assert out.exit_code == 0, out.output
    assert "张三（处置人员）" in out.output and "你的 open_id：ou_" in out.output
