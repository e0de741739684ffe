"""What every page's template is given."""

from functools import cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

SITE_LINKS = {
    "home": "posts:home",
    "posts": "posts:list",
    "categories": "posts:categories",
    "tags": "posts:tags",
    "archive": "posts:archive",
    "search": "posts:search",
    "feed": "feeds:site",
    "atom": "feeds:site-atom",
}


def site_links(request) -> dict:
    """`site`: the addresses in every page's header and footer. They are reversed once per URLconf
    and script prefix: reversing them for each page took a tenth of a post page's time."""
    return {"site": _site_links(get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())}


@cache
def _site_links(urlconf: str, prefix: str) -> dict[str, str]:
    return {name: reverse(view) for name, view in SITE_LINKS.items()}
