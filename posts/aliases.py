"""Legacy URL matching: one normal form for every spelling of an old path.

The old wiki was forgiving: `+`, `%20` and a space were the same, percent-encoding was decoded,
case did not matter. Storing each alias in that normal form makes a lookup one indexed equality.
`/tiki-index.php?page=Title` and `?page_id=N` are folded into `/Title` and `/N`, the same keys
the dump's own aliases use.
"""

import unicodedata
from urllib.parse import parse_qs, unquote, urlsplit

TIKI_INDEX = "tiki-index.php"


def normalize_path(path: str, query: str = "", *, decoded: bool = False) -> str:
    """Return the normal form of a legacy path (with its query string, if any).

    `decoded` says the path is already percent-decoded (Django's `request.path` is): decoding
    it again would turn a literal "%" in a title into garbage.
    """
    if "?" in path and not query:
        path, query = path.split("?", 1)
    path = _fold(path if decoded else unquote(path))
    if path.rstrip("/").endswith("/" + TIKI_INDEX) and query:
        params = {key.lower(): values for key, values in parse_qs(query).items()}
        for key in ("page_id", "page"):
            if params.get(key) and params[key][0].strip():
                return _fold("/" + params[key][0])
    return path


def _fold(path: str) -> str:
    text = unicodedata.normalize("NFKC", path.replace("+", " ")).casefold()
    text = " ".join(text.split())
    text = "/" + text.lstrip("/")
    return text.rstrip("/") or "/"


def split_url(url: str) -> tuple[str, str]:
    """Split a URL or path into (path, query), dropping scheme, host and fragment."""
    parts = urlsplit(url)
    return parts.path or "/", parts.query
