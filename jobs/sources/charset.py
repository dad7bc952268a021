"""Decoding web pages: the header's charset, then <meta charset>, then UTF-8, then GB18030, then detection.

A declared charset is only believed if the bytes decode under it without error, so a page that says
UTF-8 but is GBK (common on older Chinese forums) is not turned silently into mojibake. GBK and GB2312
are read as GB18030, their superset.
"""
import codecs
import re

from charset_normalizer import from_bytes

_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_SUPERSETS = {"gbk": "gb18030", "gb2312": "gb18030", "gb_2312-80": "gb18030", "x-gbk": "gb18030",
              "ascii": "utf-8", "us-ascii": "utf-8", "iso-8859-1": "cp1252", "latin-1": "cp1252"}


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    name = _SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def header_charset(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header."""
    m = re.search(r"charset\s*=\s*([^;\s]+)", content_type or "", re.IGNORECASE)
    return m.group(1) if m else None


def decode_page(body: bytes, content_type: str | None = None, override: str | None = None) -> tuple[str, list[str]]:
    """The text of a page and any problems met on the way (a declared charset that did not fit)."""
    problems = []
    meta = _META.search(body[:4096])
    declared = [("configured", override), ("header", header_charset(content_type)),
                ("<meta>", meta.group(1).decode("ascii", "replace") if meta else None)]
    tried = set()
    for where, name in declared:
        codec = _codec(name)
        if name and codec is None:
            problems.append(f"unknown charset {name!r} in {where}")
        if codec is None or codec in tried:
            continue
        tried.add(codec)
        try:
            return body.decode(codec), problems
        except UnicodeDecodeError:
            problems.append(f"page does not decode as {name} (from {where})")
    for codec in ("utf-8", "gb18030"):
        if codec in tried:
            continue
        try:
            text = body.decode(codec)
        except UnicodeDecodeError:
            continue
        if tried:
            problems.append(f"decoded as {codec} instead")
        return text, problems
    best = from_bytes(body).best()
    codec = best.encoding if best else "utf-8"
    problems.append(f"charset guessed as {codec}; some characters may be replaced")
    return body.decode(codec, errors="replace"), problems
