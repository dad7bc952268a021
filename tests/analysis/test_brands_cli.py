from click.testing import CliRunner

from bot.cli import main
from tests.conftest import write_config

CONFIG = {"brands": [{"name": "中国银行"}, {"name": "招商银行", "aliases": ["招商"], "exclude": ["招商引资"]},
                     {"name": "信也", "aliases": ["信*飞"]}]}


def test_brands_test_explains_matches_and_rejections(tmp_path):
    path = write_config(tmp_path, CONFIG)
    out = CliRunner().invoke(main, ["brands", "test", "-c", str(path),
                                    "中國銀行保險監督管理委員會：招商引资会上，有人投诉信**飞私自扣费"])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0].startswith("规范化文本: 中国银行保险监督管理委员会")
    assert any(l.startswith("✗ 中国银行") and "属于更长的机构名「中国银行保险监督管理委员会」" in l for l in lines)
    assert any(l.startswith("✗ 招商银行") and "同一分句有排除词「招商引资」" in l for l in lines)
    assert any(l.startswith("✓ 信也") and "信**飞" in l and "信*飞" in l for l in lines)
    assert "判定: 负面" in out.output and "负面对象: 信也" in out.output


def test_brands_test_says_when_nothing_matches(tmp_path):
    out = CliRunner().invoke(main, ["brands", "test", "-c", str(write_config(tmp_path, CONFIG)), "今天天气很好"])
    assert out.exit_code == 0
    assert "未出现任何监测品牌的名称或别名" in out.output and "判定: 非负面" in out.output


def test_brands_test_reads_a_complaint_target(tmp_path):
    out = CliRunner().invoke(main, ["brands", "test", "-c", str(write_config(tmp_path, CONFIG)),
                                    "--platform", "complaint", "--target", "信*飞", "每月被扣一笔钱，要求退还"])
    assert out.exit_code == 0, out.output
    assert "投诉对象「信*飞」: 信也" in out.output and "判定: 负面" in out.output
