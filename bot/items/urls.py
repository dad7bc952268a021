"""Canonical URLs: the same article reached with different tracking parameters is one URL."""
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PREFIXES = ("utm_", "spm", "share_", "wfr", "__")
TRACKING_KEYS = frozenset({
    "from", "fromsource", "source", "isappinstalled", "scene", "clicktime", "enterid", "sharer_sharetime",
    "sharer_shareid", "fbclid", "gclid", "mkt", "ref", "refer", "refer_flag", "timestamp", "tt_from", "vd_source",
})


def canonical_url(url: str | None) -> str | None:
    """Lower-case scheme and host, no fragment, no default port, no tracking parameters."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    port = parts.port if parts.port not in (None, 80, 443) else None
    netloc = f"{host}:{port}" if port else host
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not k.lower().startswith(TRACKING_PREFIXES) and k.lower() not in TRACKING_KEYS]
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", urlencode(query), ""))
