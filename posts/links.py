"""Which site-internal link targets lead somewhere."""

from collections.abc import Iterable

from django.urls import Resolver404, resolve
from taggit.models import Tag

from .aliases import normalize_path, split_url
from .models import Alias, Category, Post

STATIC_PREFIXES = ("/media/", "/static/")
CHUNK = 500


def resolvable(targets: Iterable[str]) -> set[str]:
    """Return the targets (site paths) that answer with a page, or with a redirect to one."""
    good: set[str] = set()
    by_route: dict[str, dict[str, str]] = {"detail": {}, "category": {}, "tag": {}}
    legacy: dict[str, str] = {}
    for target in targets:
        path, query = split_url(target)
        if path.startswith(STATIC_PREFIXES):
            good.add(target)
            continue
        try:
            match = resolve(path)
        except Resolver404:
            legacy[target] = normalize_path(path, query)
            continue
        if match.url_name in by_route and "slug" in match.kwargs:
            by_route[match.url_name][target] = match.kwargs["slug"]
        else:
            good.add(target)
    querysets = {
        "detail": Post.objects.existing(),
        "category": Category.objects.all(),
        "tag": Tag.objects.all(),
    }
    for route, slugs in by_route.items():
        found = _existing(querysets[route], "slug", set(slugs.values()))
        for target, slug in slugs.items():
            if slug in found:
                good.add(target)
            elif route == "detail":
                legacy[target] = normalize_path(split_url(target)[0])
    found = _existing(Alias.objects.all(), "path", set(legacy.values()))
    good.update(target for target, path in legacy.items() if path in found)
    return good


def _existing(queryset, field: str, values: set[str]) -> set[str]:
    values = sorted(values)
    found: set[str] = set()
    for start in range(0, len(values), CHUNK):
        chunk = values[start : start + CHUNK]
        found.update(queryset.filter(**{f"{field}__in": chunk}).values_list(field, flat=True))
    return found
