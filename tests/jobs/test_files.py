"""Crawler export folders: new complete lines only, offsets kept across scans, half lines wait."""
import json
import shutil

import pytest

from bot.config.sources import FileSource
from bot.errors import SourceError
from jobs.sources.files import fetch_files
from tests.jobs.conftest import FIXTURES, context

EXPORT = FIXTURES / "mediacrawler/search_contents_2026-11-23.jsonl"
FIELDS = {"id": "note_id", "title": "title", "content": "desc", "url": "note_url", "author": "nickname",
          "published": "time", "likes": "liked_count", "comments": "comment_count", "reposts": "share_count"}


def spec(**kw) -> FileSource:
    return FileSource(**{"name": "xhs", "kind": "file", "path": "export", "pattern": "*_contents_*.jsonl",
                         "fields": FIELDS, **kw})


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "export").mkdir()
    return tmp_path / "export"


def scan(http, tmp_path, cursor, **kw):
    result = fetch_files(spec(**kw), context(http, tmp_path, cursor=cursor))
    return result, result.cursor


def test_appended_lines_are_read_once_and_half_lines_wait(http, tmp_path, folder):
    lines = EXPORT.read_bytes().splitlines(keepends=True)
    target = folder / "search_contents_2026-11-23.jsonl"
    target.write_bytes(lines[0] + lines[1][:40])  # the crawler is mid-write
    (folder / "search_comments_2026-11-23.jsonl").write_text('{"comment_id": "1"}\n')  # not matched
    first, cursor = scan(http, tmp_path, {})
    assert [e.external_id for e in first.entries] == ["6561f0a1000000003c01a1b2"]
    assert cursor["files"]["search_contents_2026-11-23.jsonl"]["offset"] == len(lines[0])
    with open(target, "ab") as fh:
        fh.write(lines[1][40:] + lines[2])
    second, cursor = scan(http, tmp_path, cursor)
    assert [e.external_id for e in second.entries] == ["6561f0a1000000003c01a1b3", "6561f0a1000000003c01a1b4"]
    third, _ = scan(http, tmp_path, cursor)
    assert third.entries == [] and third.problems == []
    assert second.entries[0].metrics["likes"] == "356" and second.entries[1].metrics["likes"] == "10万+"


def test_broken_export_keeps_good_lines(http, tmp_path, folder):
    shutil.copy(FIXTURES / "mediacrawler/search_contents_broken.jsonl", folder / "search_contents_x.jsonl")
    result, cursor = scan(http, tmp_path, {})
    assert [e.external_id for e in result.entries] == ["6561f0a1000000003c01a1b2", None, "6561f0a1000000003c01a1b3"]
    assert len(result.problems) == 1 and "malformed JSON line skipped" in result.problems[0]
    size = (folder / "search_contents_x.jsonl").stat().st_size
    assert cursor["files"]["search_contents_x.jsonl"]["offset"] < size  # the half-written last line waits


def test_replaced_file_is_read_again(http, tmp_path, folder):
    target = folder / "search_contents_a.jsonl"
    target.write_bytes(EXPORT.read_bytes())
    _, cursor = scan(http, tmp_path, {})
    target.unlink()
    target.write_bytes(EXPORT.read_bytes().splitlines(keepends=True)[0])
    result, _ = scan(http, tmp_path, cursor)
    assert len(result.entries) == 1 and "replaced or truncated" in result.problems[0]


def test_csv_export_with_quoted_newlines(http, tmp_path, folder):
    target = folder / "search_contents_2026-11-23.csv"
    target.write_text('note_id,title,desc,liked_count\n1,标题一,"第一行\n第二行",1.2万\n2,标题二,"还没写完\n',
                      encoding="utf-8-sig")
    result, cursor = scan(http, tmp_path, {}, pattern="*.csv")
    assert [(e.external_id, e.content) for e in result.entries] == [("1", "第一行\n第二行")]
    with open(target, "a", encoding="utf-8") as fh:
        fh.write('后半",3\n')
    result, _ = scan(http, tmp_path, cursor, pattern="*.csv")
    assert [(e.external_id, e.content) for e in result.entries] == [("2", "还没写完\n后半")]


def test_json_document_is_read_when_it_changes(http, tmp_path, folder):
    target = folder / "search_contents_2026-11-23.json"
    notes = [json.loads(line) for line in EXPORT.read_text(encoding="utf-8").splitlines()]
    target.write_text(json.dumps(notes[:1], ensure_ascii=False), encoding="utf-8")
    first, cursor = scan(http, tmp_path, {}, pattern="*.json")
    again, _ = scan(http, tmp_path, cursor, pattern="*.json")
    target.write_text(json.dumps(notes[:1], ensure_ascii=False)[:50], encoding="utf-8")  # mid-rewrite
    broken, cursor2 = scan(http, tmp_path, cursor, pattern="*.json")
    assert len(first.entries) == 1 and again.entries == []
    assert broken.entries == [] and "malformed JSON" in broken.problems[0] and cursor2 == cursor


def test_missing_folder_is_a_source_error(http, tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        fetch_files(spec(path="nowhere"), context(http, tmp_path))
