"""Whole public pages from the cache, invalidated the moment published content changes.

Every cached page is stored with the *content version* it was made under, a number kept in the
cache itself. Any change to what readers may see bumps it (changes.refresh, once committed), so
every page cached before is stale and made again at its next request. A request reads the
version and its page together, in one round trip to the cache. With Redis (`REDIS_URL`) the
version is shared: a change made through one app server is seen by all of them at their next
request. The local-memory cache is per process; `PAGE_TTL` bounds how long another process could
serve a page from before a change.
"""

import hashlib
import time
from collections.abc import Iterable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, parse_http_date_safe

VERSION_KEY = "vdwiki:content-version"
PAGE_TTL = 300


def content_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # A fresh cache starts at the clock, never at a number some old page was cached under.
        version = int(time.time() * 1000)
        if not cache.add(VERSION_KEY, version, timeout=None):
            version = cache.get(VERSION_KEY, version)
    return version


def bump_content_version() -> None:
    """Make every cached page stale."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, int(time.time() * 1000), timeout=None)


def cached_page(view, *, query: Iterable[str] = ()):
    """Mark `view` as one whose pages PageCacheMiddleware keeps, one for each value of the query
    parameters named in `query` (those the view reads): any other parameter (`?utm_source=`)
    gets the same page, not a new one rendered and kept."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return view(request, *args, **kwargs)

    wrapped.cached_page = True
    wrapped.page_query = tuple(sorted(query))
    return wrapped


class PageCacheMiddleware:
    """Keep the 200 and 410 pages of views marked with `cached_page`, with an ETag, and answer
    anonymous GET and HEAD requests from them, conditional requests too (304).

    First in MIDDLEWARE: a page is kept with every header the rest of the middleware gave it, and
    a hit skips them all (sessions, authentication, CSRF), and the URL resolver. A request with a
    session cookie (a logged-in user: staff see drafts and notices) always gets a fresh page.

    Django's own cache middleware does not fit: its key holds the whole query string, so every
    `?utm_source=` would render and keep a page of its own, and it has no content version.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _cacheable(request):
            return self.get_response(request)
        key, version, entry = _lookup(request)
        if entry:
            return _answer(request, entry)
        response = self.get_response(request)
        if _keeps(request, response):
            if not response.has_header("ETag"):
                response["ETag"] = f'"{hashlib.sha1(response.content).hexdigest()}"'
            response.setdefault("Last-Modified", http_date())
            cache.set(key, (version, response.status_code, response.content, dict(response.headers)), PAGE_TTL)
        return response


def _cacheable(request) -> bool:
    return (
        settings.VDWIKI_CACHE_PAGES
        and request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not request.path.startswith(tuple(filter(None, (settings.STATIC_URL, settings.MEDIA_URL))))
    )


def _lookup(request) -> tuple[str, int, tuple | None]:
    """The page's key, the content version, and the page when it was cached under that version:
    one round trip to the cache."""
    key = _key(request)
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY) or content_version()
    entry = found.get(key)
    return key, version, entry if entry and entry[0] == version else None


def _answer(request, entry: tuple) -> HttpResponse:
    _version, status, content, headers = entry
    response = HttpResponse(content, status=status, headers=headers)
    if request.method != "GET":  # as ConditionalGetMiddleware
        return response
    last_modified = parse_http_date_safe(response["Last-Modified"])
    return get_conditional_response(request, etag=response["ETag"], last_modified=last_modified, response=response)


def _keeps(request, response) -> bool:
    """A page of a view marked `cached_page`, or a response so marked: a site page's, which the
    404 handler answers with (views.site_page_response), and no route names."""
    view = request.resolver_match.func if request.resolver_match else None
    return (
        (getattr(view, "cached_page", False) or getattr(response, "cached_page", False))
        and response.status_code in (200, 410)
        and not response.streaming
        and not response.cookies
    )


def _key(request) -> str:
    """Pages hold absolute URLs (canonical link, Open Graph): the scheme and host are part of the
    key, with the path and the values of the query parameters the page's view reads."""
    read = _query_read_by(request) if request.META.get("QUERY_STRING") else ()
    query = [(name, request.GET.getlist(name)) for name in read if name in request.GET]
    page = repr((request.scheme, request.get_host(), request.path, query)).encode()
    return f"vdwiki:page:{hashlib.sha1(page).hexdigest()}"


def _query_read_by(request) -> tuple[str, ...]:
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return ()
    return getattr(match.func, "page_query", ())
