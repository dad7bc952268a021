"""The one text form every matcher sees: brands, rules, topics, risk words, sentiment and SimHash alike.

`normalise` turns what people post into a canonical form before anything matches:
* NFKC: full-width letters, digits and punctuation → half-width (「ＡＰＰ閃退」 → 「app閃退」);
* lower case;
* traditional → simplified characters with OpenCC's `t2s` table (reposts from HK/TW, content farms), so
  「中國銀行」 and 「中国银行」 are the same name and a traditional copy of a story has the same SimHash;
* zero-width and bidirectional control characters removed (they hide names from exact matching);
* separators injected between two Chinese characters removed: 「中(zhong)银」, 「中（zhōng）银」 → 「中银」,
  「星·河」, 「星 河」, 「星-河」 → 「星河」. Masking stars (「信*飞」) are kept: wildcard aliases match them.

Cards show the original text; only matching uses this form. All offsets the matchers report are offsets into
the normalised text.
"""
import re
import unicodedata
from functools import lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180e\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]")
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# a pinyin or Latin gloss in brackets between two Chinese characters: 中(zhong)银, 中（zhōng）银
_GLOSS = re.compile(rf"(?<=[{_HAN}])[ \t]*[(\[{{][ \t]*[a-zà-ÿāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü ]{{1,12}}[ \t]*[)\]}}][ \t]*(?=[{_HAN}])")
# dots, hyphens, underscores, bars and spaces (never line breaks: they end clauses) injected between two Chinese characters: 星·河, 星 河, 星_河
_SEPARATORS = re.compile(rf"(?<=[{_HAN}])[ \t·•・‧∙⋅\-_|~]+(?=[{_HAN}])")


def to_simplified(text: str) -> str:
    """Traditional → simplified (OpenCC t2s); simplified text passes through unchanged."""
    return _T2S.convert(text)


def normalise(text: str) -> str:
    """The canonical form of a text for matching (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _INVISIBLE.sub("", text)
    if not text.isascii():
        text = _T2S.convert(text)
        text = _GLOSS.sub("", text)
        text = _SEPARATORS.sub("", text)
    return text


@lru_cache(maxsize=65_536)
def normalise_term(term: str) -> str:
    """`normalise` for the short words and names of lexicons and configs (cached)."""
    return normalise(term)
