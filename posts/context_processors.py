"""What every page's template is given."""

from django.utils.functional import SimpleLazyObject

from .paths import path_of
from .site_pages import page_links

SITE_LINKS = {
    "home": "posts:home",
    "posts": "posts:list",
    "categories": "posts:categories",
    "tags": "posts:tags",
    "archive": "posts:archive",
    "recent": "posts:recent",
    "search": "posts:search",
    "feed": "feeds:site",
    "atom": "feeds:site-atom",
    "recent_feed": "feeds:recent",
}


def site_links(request) -> dict:
    """`site`: the addresses in every page's header and footer; `site_pages`: the published site
    pages the footer links, looked up only by a template showing them (not the admin's)."""
    return {
        "site": {name: path_of(view) for name, view in SITE_LINKS.items()},
        "site_pages": SimpleLazyObject(page_links),
    }
