"""Legacy URL matching: one normal form for every spelling of an old path.

The old wiki was forgiving: `+`, `%20` and a space were the same, percent-encoding was decoded,
case did not matter. Storing each alias in that normal form makes a lookup one indexed equality.
`/tiki-index.php?page=Title` and `?page_id=N` are folded into `/Title` and `/N`, the same keys
the dump's own aliases use.
"""

import unicodedata
from urllib.parse import parse_qs, unquote, urlsplit

from django.conf import settings
from django.urls import Resolver404, resolve

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


def hidden_address(path: str, *, pages: bool = True) -> str:
    """The site's own address an alias at `path` (in normal form) would hide, "" if none.

    An alias answers where the site has no page (the 404 handler asks for it), so it would hide
    any path the site answers itself: its routes, with or without the slash CommonMiddleware adds,
    and its static and media files. Not the old link form of a post, `/posts/<slug>`: those views
    answer from the aliases when no post holds the slug (old slugs are kept as aliases).
    With `pages`, a site page's address too: a page answers before the aliases (site_pages.py).
    """
    from .site_pages import holder_of
    from .views import post_detail, post_without_slash

    for prefix in (settings.STATIC_URL, settings.MEDIA_URL):
        if not urlsplit(prefix).netloc and (path + "/").startswith(prefix.casefold()):
            return f"the site's files under {prefix}"
    for candidate in dict.fromkeys([path.rstrip("/") + "/", path]):
        try:
            match = resolve(candidate)
        except Resolver404:
            continue
        if match.func in (post_detail, post_without_slash):
            return ""
        return f"the site's own page {candidate} ({match.view_name})"
    page = holder_of(path) if pages else None
    return f"the site page “{page.title}” at {page.path}" if page else ""
