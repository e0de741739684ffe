"""Addresses of pages, reversed once per process rather than at each use.

Django's reverse() walks the URLconf at every call; pages and stored articles link to the same
few hundred categories and tags and the same posts again and again. An address depends only on
the URLconf and the script prefix, which are part of the key.
"""

from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse


def path_of(view: str, *args: str) -> str:
    """reverse(view, args=args), remembered."""
    return _reversed(get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), view, args)


def paths_of(view: str) -> Callable[..., str]:
    """path_of(view, ...) for many addresses of one view, in one request or loop."""
    urlconf, prefix = get_urlconf() or settings.ROOT_URLCONF, get_script_prefix()
    return lambda *args: _reversed(urlconf, prefix, view, args)


@lru_cache(maxsize=20_000)
def _reversed(urlconf: str, prefix: str, view: str, args: tuple[str, ...]) -> str:
    return reverse(view, args=args)
