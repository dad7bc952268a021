import pytest

from bot.cards.text import clean, safe_text, safe_url, truncate

INJECTIONS = [
    '<at id=all></at>', '<at user_id="all"></at>', '<at user_id="ou_123">boss</at>', "<at id=ou_1></at>",
    "[click](https://evil.example.com)", "![img](https://evil.example.com/a.png)", "**bold** `code` # head",
    "<font color='red'>x</font>",
]


@pytest.mark.parametrize("text", INJECTIONS)
def test_markup_is_made_inert(text):
    out = safe_text(text, 200)
    for marker in ("<", ">", "[", "]", "(", ")", "*", "`", "#"):
        assert marker not in out
    assert out  # still shown, as text


def test_control_and_direction_characters_are_removed():
    assert clean("a\x00b\u202ec\u200bd\r\ne  \t f") == "abcd\ne f"


def test_truncate_marks_the_cut():
    assert truncate("一二三四五", 3).text == "一二…" and truncate("一二三四五", 3).truncated
    assert not truncate("一二", 3).truncated


def test_only_http_urls_survive_and_cannot_close_a_markdown_link():
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https://e.com/a b)c[d]") == "https://e.com/a%20b%29c%5Bd%5D"

