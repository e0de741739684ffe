"""Whole public pages from the cache, invalidated the moment published content changes.

Every cached page is stored with the *content version* it was made under, a number kept in the
cache itself. Any change to what readers may see bumps it, so every page cached before is stale
and made again at its next request. A request reads the version and its page together, in one
round trip to the cache. With Redis (`REDIS_URL`) the version is shared: a change made through
one app server is seen by all of them at their next request. The local-memory cache is per
process; `PAGE_TTL` bounds how long another process could serve a page from before a change.
"""

import hashlib
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils.http import http_date

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


def content_changed(**_signal_kwargs) -> None:
    """Something readers may see changed: bump the version once the change is committed. Before
    that, a request could still cache the old content under the new version."""
    transaction.on_commit(bump_content_version)


def cached_page(view):
    """Mark `view` as one whose pages PageCacheMiddleware keeps."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return view(request, *args, **kwargs)

    wrapped.cached_page = True
    return wrapped


class PageCacheMiddleware:
    """Serve anonymous GET and HEAD requests from the cache, before the rest of the middleware
    and the URL resolver run; keep the 200 and 410 pages of views marked with `cached_page`,
    with an ETag.

    A request with a session cookie (a logged-in user: staff see drafts and notices) always
    gets a fresh page. Place it inside ConditionalGetMiddleware, which answers 304 from the ETag.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            not settings.VDWIKI_CACHE_PAGES
            or request.method not in ("GET", "HEAD")
            or settings.SESSION_COOKIE_NAME in request.COOKIES
        ):
            return self.get_response(request)
        key = _key(request)
        found = cache.get_many([VERSION_KEY, key])
        version = found.get(VERSION_KEY) or content_version()
        if key in found and found[key][0] == version:
            _version, status, content, headers = found[key]
            return HttpResponse(content, status=status, headers=headers)
        response = self.get_response(request)
        if _keeps(request, response):
            if not response.has_header("ETag"):
                response["ETag"] = f'"{hashlib.sha1(response.content).hexdigest()}"'
            response.setdefault("Last-Modified", http_date())
            cache.set(key, (version, response.status_code, response.content, dict(response.headers)), PAGE_TTL)
        return response


def _keeps(request, response) -> bool:
    view = request.resolver_match.func if request.resolver_match else None
    return (
        getattr(view, "cached_page", False)
        and response.status_code in (200, 410)
        and not response.streaming
        and not response.cookies
    )


def _key(request) -> str:
    # Pages hold absolute URLs (canonical link, Open Graph): the host is part of the key.
    url = request.build_absolute_uri().encode()
    return f"vdwiki:page:{hashlib.sha1(url).hexdigest()}"


def connect_signals() -> None:
    """Bump the content version whenever something readers may see is saved or deleted."""
    from django.db.models.signals import m2m_changed, post_delete, post_save
    from taggit.models import Tag

    from .models import Alias, Attachment, Category, Post, TaggedPost

    for model in (Post, Category, Tag, TaggedPost, Attachment, Alias):
        post_save.connect(content_changed, sender=model, dispatch_uid=f"vdwiki-cache-save-{model.__name__}")
        post_delete.connect(content_changed, sender=model, dispatch_uid=f"vdwiki-cache-delete-{model.__name__}")
    for through in (Post.categories.through, Attachment.posts.through):
        m2m_changed.connect(content_changed, sender=through, dispatch_uid=f"vdwiki-cache-m2m-{through.__name__}")
