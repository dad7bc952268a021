import pytest

from bot.config.sources import HtmlSource
from bot.errors import SourceError
from jobs.sources.charset import decode_page
from jobs.sources.html import fetch_html
from tests.jobs.conftest import FIXTURES, context

FORUM = FIXTURES / "forum"
FIELDS = {"id": "@data-tid", "title": "a.subject", "url": "a.subject@href", "author": ".author",
          "published": ".time", "views": ".views"}


def spec(url, **kw) -> HtmlSource:
    return HtmlSource(**{"name": "forum", "kind": "html", "url": url, "item": "li.thread", "fields": FIELDS,
                         "platform": "forum", **kw})


LIST = (FORUM / "list_gbk.html").read_bytes()
# the broken counterpart: GBK bytes that declare UTF-8 in the header and in <meta>
WRONG_CHARSET = LIST.replace(b"charset=gbk", b"charset=utf-8")


def serve_forum(sources, body=LIST, content_type="text/html"):
    for name in ("thread-880011-1-1.html", "thread-880012-1-1.html"):
        sources.serve(f"/forum/{name}", (FORUM / name).read_bytes(), headers={"Content-Type": "text/html"})
    return sources.serve("/forum/list.html", body, headers={"Content-Type": content_type})


def test_gbk_list_page_with_detail_pages(sources, http):
    url = serve_forum(sources)
    result = fetch_html(spec(url, detail_content="div.t_msg"), context(http))
    titles = [e.title for e in result.entries]
    assert titles == ["星河消费金融暴力催收，天天打电话给我同事", "青橙分期提前还款手续费怎么算？",
                      "【置顶】本版规则：发帖请注明机构名称"]
    first = result.entries[0]
    assert first.external_id == "880011" and first.author == "借钱还钱" and first.published == "2小时前"
    assert first.url == sources.url + "/forum/thread-880011-1-1.html"  # made absolute
    assert "通讯录里的同事" in first.content and "签名档" not in first.content
    # the ad has no title; the third thread's detail page is missing, so its list text is kept
    assert result.problems[0] == "item 4: no title or content found, skipped"
    assert "detail page: HTTP 404" in result.problems[1] and result.entries[2].content is None


def test_detail_pages_of_known_items_are_not_fetched_again(sources, http):
    url = serve_forum(sources)
    fetch_html(spec(url, detail_content="div.t_msg"), context(http, known_url=lambda u: "880011" in u))
    assert sources.hits("/forum/thread-880011-1-1.html") == []
    assert len(sources.hits("/forum/thread-880012-1-1.html")) == 1


def test_detail_limit(sources, http):
    url = serve_forum(sources)
    fetch_html(spec(url, detail_content="div.t_msg", detail_limit=1), context(http))
    assert len([r for r in sources.requests if "thread-" in r["path"]]) == 1


def test_wrong_declared_charset_does_not_make_mojibake(sources, http):
    url = serve_forum(sources, WRONG_CHARSET, "text/html; charset=utf-8")
    result = fetch_html(spec(url), context(http))
    assert result.entries[0].title == "星河消费金融暴力催收，天天打电话给我同事"
    assert "page does not decode as utf-8 (from header)" in result.problems
    assert "decoded as gb18030 instead" in result.problems


@pytest.mark.parametrize("body, content_type, expected", [
    ("<p>你好</p>".encode("utf-8"), "text/html; charset=utf-8", "<p>你好</p>"),
    ('<meta charset="gbk"><p>借贷</p>'.encode("gbk"), "text/html", '<meta charset="gbk"><p>借贷</p>'),
    ("<p>借贷投诉</p>".encode("gb18030"), None, "<p>借贷投诉</p>"),  # nothing declared: utf-8 fails, gb18030 fits
    ("<p>ok</p>".encode(), "text/html; charset=bogus-9", "<p>ok</p>"),
])
def test_decode_page(body, content_type, expected):
    assert decode_page(body, content_type)[0] == expected


def test_page_without_items_is_a_source_error(sources, http):
    url = sources.serve("/maint.html", (FORUM / "not_a_list.html").read_bytes())
    with pytest.raises(SourceError, match="no element matches the item selector 'li.thread'"):
        fetch_html(spec(url), context(http))


def test_empty_page_is_a_source_error(sources, http):
    url = sources.serve("/empty.html", b"")
    with pytest.raises(SourceError, match="empty response"):
        fetch_html(spec(url), context(http))
