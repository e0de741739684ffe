"""Whole public pages from the cache, invalidated the moment published content changes.

Every cached page's key holds the current *content version*, a number kept in the cache itself.
Any change to what readers may see bumps it, so every page cached before is never read again
(it expires on its own). With Redis (`REDIS_URL`) the version is shared: a change made through
one app server is seen by all of them at their next request. The local-memory cache is per
process; `PAGE_TTL` bounds how long another process could serve a page from before a change.
"""

import hashlib
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.http import http_date

VERSION_KEY = "vdwiki:content-version"
PAGE_TTL = 300
CACHED_HEADERS = ("Content-Type", "Last-Modified", "ETag", "X-Robots-Tag")


def content_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # A fresh cache starts at the clock, never at a number some old page was cached under.
        version = int(time.time() * 1000)
        if not cache.add(VERSION_KEY, version, timeout=None):
            version = cache.get(VERSION_KEY, version)
    return version


def bump_content_version(**_signal_kwargs) -> None:
    """Make every cached page stale (a signal receiver, and called after bulk writes)."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, int(time.time() * 1000), timeout=None)


def cached_page(view):
    """Serve anonymous GET and HEAD requests of `view` from the cache, with an ETag.

    Logged-in users (staff see drafts and notices) always get a fresh page.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not settings.VDWIKI_CACHE_PAGES or request.method not in ("GET", "HEAD") or _logged_in(request):
            return view(request, *args, **kwargs)
        key = _key(request)
        cached = cache.get(key)
        if cached is not None:
            status, content, headers = cached
            response = HttpResponse(content, status=status)
            for name, value in headers.items():
                response[name] = value
            return response
        response = view(request, *args, **kwargs)
        if hasattr(response, "render"):
            response.render()
        if response.status_code in (200, 410) and not response.streaming:
            if not response.has_header("ETag"):
                response["ETag"] = f'"{hashlib.sha1(response.content).hexdigest()}"'
            response.setdefault("Last-Modified", http_date())
            headers = {name: response[name] for name in CACHED_HEADERS if response.has_header(name)}
            cache.set(key, (response.status_code, response.content, headers), PAGE_TTL)
        return response

    return wrapped


def _logged_in(request) -> bool:
    # Checked by the session cookie first, so an anonymous request costs no session query.
    return settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated


def _key(request) -> str:
    # Pages hold absolute URLs (canonical link, Open Graph): the host is part of the key.
    url = request.build_absolute_uri().encode()
    return f"vdwiki:page:{content_version()}:{hashlib.sha1(url).hexdigest()}"


def connect_signals() -> None:
    """Bump the content version whenever something readers may see is saved or deleted."""
    from django.db.models.signals import m2m_changed, post_delete, post_save
    from taggit.models import Tag

    from .models import Attachment, Category, Post, TaggedPost

    for model in (Post, Category, Tag, TaggedPost, Attachment):
        post_save.connect(bump_content_version, sender=model, dispatch_uid=f"vdwiki-cache-save-{model.__name__}")
        post_delete.connect(bump_content_version, sender=model, dispatch_uid=f"vdwiki-cache-delete-{model.__name__}")
    for through in (Post.categories.through, Attachment.posts.through):
        m2m_changed.connect(bump_content_version, sender=through, dispatch_uid=f"vdwiki-cache-m2m-{through.__name__}")
