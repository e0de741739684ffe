"""Which site-internal link targets lead somewhere, for a reader; and the links of published
posts that do not (the admin's broken links report). Each published post's links to the site are
stored as it changes (`store_links`, from changes.refresh); which of them lead nowhere is worked
out when the report is asked for, after aliases, and kept until what readers see changes."""

import html
import re
import unicodedata
from collections.abc import Iterable

from django.core.cache import cache
from django.urls import Resolver404, resolve
from taggit.models import Tag

from . import site_pages
from .aliases import normalize_path, split_url
from .cache import PAGE_TTL, content_version
from .models import Alias, Category, CategoryAlias, Post, PostLink

STATIC_PREFIXES = ("/media/", "/static/")
CHUNK = 500
FEEDS = {"category-atom": "category", "tag-atom": "tag"}  # as the page of their slug (the RSS ones share its name)
# A link in the sanitizer's output, which writes every attribute in double quotes and nests no link.
LINK_RE = re.compile(r'<a\s[^>]*?href="(/[^"]*)"[^>]*>(.*?)</a>', re.DOTALL)
TAG_RE = re.compile(r"<[^>]*>")
TARGET_LENGTH = PostLink._meta.get_field("target").max_length
TEXT_LENGTH = PostLink._meta.get_field("text").max_length


def resolvable(targets: Iterable[str]) -> set[str]:
    """Return the targets (site paths) that answer a reader with a page, or with a redirect to one."""
    good: set[str] = set()
    by_route: dict[str, dict[str, str]] = {"detail": {}, "category": {}, "tag": {}}
    legacy: dict[str, str] = {}
    pages: dict[str, str] = {}  # targets that may be site pages, and their addresses
    for target in targets:
        path, query = split_url(target)
        if path.startswith(STATIC_PREFIXES):
            good.add(target)
            continue
        try:
            match = resolve(path)
        except Resolver404:
            page_path = site_pages.page_path_of(path)
            if page_path is not None:
                pages[target] = page_path
            legacy[target] = normalize_path(path, query)
            continue
        route = FEEDS.get(match.url_name, match.url_name)
        if route in by_route and "slug" in match.kwargs:
            by_route[route][target] = match.kwargs["slug"]
        else:
            good.add(target)
    querysets = {
        "detail": Post.objects.published(),
        "category": Category.objects.shown(),
        "tag": Tag.objects.all(),
    }
    for route, slugs in by_route.items():
        found = _existing(querysets[route], "slug", set(slugs.values()))
        if route == "category":  # a merged category's address leads to the one kept
            found |= _existing(CategoryAlias.objects.filter(category__hidden=False), "slug", set(slugs.values()))
        for target, slug in slugs.items():
            if slug in found:
                good.add(target)
            elif route == "detail":
                legacy[target] = normalize_path(split_url(target)[0])
    found = _existing(Alias.objects.filter(post__status=Post.Status.PUBLISHED), "path", set(legacy.values()))
    good.update(target for target, path in legacy.items() if path in found)
    found = _existing(Post.objects.live().site_pages(), "path", set(pages.values()))
    good.update(target for target, path in pages.items() if path in found)
    return good


def _existing(queryset, field: str, values: set[str]) -> set[str]:
    values = sorted(values)
    found: set[str] = set()
    for start in range(0, len(values), CHUNK):
        chunk = values[start : start + CHUNK]
        found.update(queryset.filter(**{f"{field}__in": chunk}).values_list(field, flat=True))
    return found


def _cut(text: str) -> str:
    """`text` (composed, NFC) within the TEXT_LENGTH characters the database keeps, cut with an
    ellipsis when longer. Counted in code points as the column counts them: Django's Truncator
    leaves combining marks uncounted, so pointed Hebrew or Arabic of 300 letters (600 code points)
    passed it whole and PostgreSQL refused the post's links (value too long)."""
    text = unicodedata.normalize("NFC", text)
    return text if len(text) <= TEXT_LENGTH else text[: TEXT_LENGTH - 1] + "…"


def links_in(body_html: str) -> dict[str, str]:
    """The site-internal link targets of a sanitized body (not its files), each with the text of
    its first link."""
    found: dict[str, str] = {}
    for href, inner in LINK_RE.findall(body_html):
        target = html.unescape(href)
        if target.startswith("//") or target.startswith(STATIC_PREFIXES) or len(target) > TARGET_LENGTH:
            continue
        text = " ".join(html.unescape(TAG_RE.sub(" ", inner)).split())
        found.setdefault(target, _cut(text))
    return found


def store_links(post_ids: Iterable[int]) -> None:
    """Store the links of these posts as readers see them: those of the published ones (site pages
    too), none of the others."""
    post_ids = sorted(set(post_ids))
    for start in range(0, len(post_ids), CHUNK):
        chunk = post_ids[start : start + CHUNK]
        PostLink.objects.filter(post_id__in=chunk).delete()
        published = Post.objects.live().filter(pk__in=chunk).values_list("pk", "body_html")
        PostLink.objects.bulk_create(
            PostLink(post_id=pk, target=target, text=text)
            for pk, body_html in published
            for target, text in links_in(body_html).items()
        )


def broken_targets() -> list[str]:
    """The targets of published posts' links that lead nowhere, worked out once for what readers
    see now (the cache's content version)."""
    key = f"vdwiki:broken-links:{content_version()}"
    broken = cache.get(key)
    if broken is None:
        targets = set(PostLink.objects.values_list("target", flat=True).distinct())
        broken = sorted(targets - resolvable(targets))
        cache.set(key, broken, PAGE_TTL)
    return broken
