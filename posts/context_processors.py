"""What every page's template is given."""

from .paths import path_of

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
    """`site`: the addresses in every page's header and footer."""
    return {"site": {name: path_of(view) for name, view in SITE_LINKS.items()}}
