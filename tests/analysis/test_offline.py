import io
import json

from bot.analysis.offline import analyze_stream
from bot.config import LoadedConfig, parse_config

LINES = [
    {"id": "1", "content": "安逸花暴力催收，爆通讯录，我已向银保监会投诉", "source": "u1", "platform": "微博",
     "published_at": "2024-05-01T10:00:00+08:00", "metrics": {"reposts": 20}},
    "{not json",
    {"id": "2", "content": "安逸花暴力催收，爆通讯录，我已向银保监会投诉！！", "platform": "黑猫投诉",
     "published_at": "2024-05-01T10:20:00+08:00"},
    {"id": "3", "title": "天气", "content": "今天天气很好"},
    {"content": "没有 id"},
    {"id": "4", "content": "小资钱包跑路了", "brands": ["小资钱包"], "metrics": {"views": -1}},
    {"id": "5", "content": "小资钱包跑路了，出借人报案", "brands": ["小资钱包"]},
]


def run():
    text = "\n".join(line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in LINES)
    loaded = LoadedConfig(parse_config({"brands": [{"name": "安逸花"}]}), None, "", None)
    out, err = io.StringIO(), io.StringIO()
    count = analyze_stream(loaded, io.StringIO(text + "\n\n"), out, err)
    return count, [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue().splitlines()


def test_analyze_stream_writes_one_line_per_good_item_and_reports_bad_lines():
    count, results, errors = run()
    assert count == 4 == len(results)
    assert [r["id"] for r in results] == ["1", "2", "3", "5"]
    assert errors == [
        "line 2: skipped, not JSON (Expecting property name enclosed in double quotes at column 2)",
        "line 5: skipped, missing 'id'",
        "line 6: skipped, 'metrics' must map views/reposts/comments/likes to non-negative integers",
    ]


def test_results_carry_brands_topics_grade_and_reasons():
    _, results, _ = run()
    first, copy, unrelated, override = results
    assert set(first) >= {"id", "brands", "negative", "sentiment", "topics", "risk_score", "grade", "reasons"}
    assert first["brands"] == [{"name": "安逸花", "negative": True}] and first["negative"] is True
    assert 0 <= first["sentiment"] < 0.5
    assert {"name": "催收", "words": ["暴力催收", "爆通讯录"]} in first["topics"]
    assert first["grade"] == "一般" and "含监管关键词「银保监会」" in first["reasons"]
    assert copy["incident"] == first["incident"] and copy["reasons"][0].startswith("与 1 近似重复")
    assert unrelated["brands"] == [] and unrelated["grade"] is None and unrelated["risk_score"] == 0.0
    assert override["brands"] == [{"name": "小资钱包", "negative": True}]
