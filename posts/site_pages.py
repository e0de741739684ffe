"""Site pages: About, Contact and the like at addresses their editors choose, and the home page's
introduction.

A site page is a Post of another kind (`Post.Kind`), so it is written, revised, reviewed,
scheduled, compared, restored, aliased and deleted as posts are, through posts/workflow/ and the
post's edit page. What sets it apart:

- Its address, `path` ("/about/"), is one of its own fields (workflow.DETAILS), not part of its
  revisions. Its authors choose it freely until readers reach the page; then, as with its aliases,
  changing it is a moderator's move, effective at once and logged, and the old address stays as
  an alias. Reviewing it with the content would give a live page two addresses at once (the live
  one and a waiting one), each to be kept free of the other pages' and aliases', for no more
  protection: nobody but a moderator moves what readers reach either way.
- No list shows it: `PostQuerySet.published()` is the published *posts*, which every list, feed,
  archive, tag and category page, related post, neighbour and search result starts from. Search
  leaves pages out too: it finds research news, and the pages are linked from every page's footer.
  The sitemap lists them (sitemaps.py).
- Readers reach it through the 404 handler (views.site_page_response), as Django's flatpages
  fallback does: no address the site answers itself may be a page's, nor an alias's
  (`path_problem`, aliases.hidden_address), so a page is looked for only where nothing else
  answers.
- The home page's introduction has no address: the home page shows its body at the top.
"""

import re
import unicodedata

from django.core.cache import cache
from django.urls import Resolver404, resolve
from django.utils.text import slugify

from .aliases import hidden_address, normalize_path
from .cache import PAGE_TTL, VERSION_KEY, content_version
from .models import Alias, Post

PAGE_PATH = re.compile(r"(?:/[\w-]+)+/")
READERS_KEY = "vdwiki:site-pages"
Kind = Post.Kind


def normal_path(path: str) -> str:
    """The address as pages keep it: lower case, Unicode in one form, no space around."""
    return unicodedata.normalize("NFKC", path.strip()).casefold()


def page_path_of(request_path: str) -> str | None:
    """The address of the page a request's (decoded) path may name, in normal form, with its slash
    added ("/About" names "/about/"); None when it cannot name one (a file, `/wp-login.php`)."""
    path = normal_path(request_path)
    path = path if path.endswith("/") else path + "/"
    return path if PAGE_PATH.fullmatch(path) else None


def page_problem(kind: str, path: str, page: Post | None = None) -> str:
    """Why a page of `kind` cannot be at `path` ("" if it can); `page`: the page itself, when
    saved."""
    if kind == Kind.PAGE:
        return path_problem(path, page)
    if path:
        return "Only a site page has an address."
    if kind == Kind.HOME_INTRODUCTION:
        others = Post.objects.existing().filter(kind=Kind.HOME_INTRODUCTION)
        other = others.exclude(pk=page.pk if page else None).only("title").first()
        if other:
            return f"The home page has an introduction already, “{other.title}”: edit that one."
    return ""


def path_problem(path: str, page: Post | None = None) -> str:
    """Why a site page cannot be at `path` ("" if it can): its shape, an address the site answers
    itself, another page's address or an alias of another post."""
    if path in ("", "/"):
        return (
            "The home page is the site's own: give the page an address such as /about/, or write the"
            " home page's introduction instead."
        )
    if not (path.startswith("/") and path.endswith("/")):
        return f"An address starts and ends with “/”, such as /about/ (not “{path}”)."
    if path != normal_path(path) or not PAGE_PATH.fullmatch(path):
        return (
            f"“{path}” is not an address a page can have: lower-case letters, digits, “-” and “_”"
            " between slashes only, such as /about/ or /about/our-team/."
        )
    hidden = _site_address_under(path)
    if hidden:
        return f"A page at {path} would hide {hidden}."
    others = Post.objects.exclude(pk=page.pk if page else None)
    other = others.at(path).only("title").first()
    if other:
        return f"The address {path} is taken by the page “{other.title}”."
    alias = Alias.objects.filter(path=normalize_path(path)).exclude(post=page).select_related("post").first()
    if alias:
        return f"{path} is an alias of “{alias.post.title}”: remove the alias there first."
    return ""


def _site_address_under(path: str) -> str:
    """The site's own address a page at `path` would hide or sit under, "" if none: its routes
    (posts under /posts/ included, unlike aliases), and its static and media files. Under a route's
    first part too: /tags/about/ would be taken for a tag's page one day."""
    first = "/" + path.split("/")[1] + "/"
    for candidate in (path, first):
        try:
            match = resolve(candidate)
        except Resolver404:
            continue
        return f"the site's own page {candidate} ({match.view_name})"
    return hidden_address(normalize_path(path), pages=False)


def new_slug(title: str) -> str:
    """A slug for a new site page (pages are found by their address; the slug names their
    revisions and the dump's files): "page-" and the title's, made unique."""
    base = "page-" + (slugify(title, allow_unicode=True)[:60].strip("-") or "untitled")
    slug, number = base, 1
    while Post.objects.filter(slug=slug).exists():
        number += 1
        slug = f"{base}-{number}"
    return slug


def home_introduction() -> Post | None:
    """The published introduction of the home page, if there is one."""
    published = Post.objects.live().filter(kind=Kind.HOME_INTRODUCTION).order_by("-date", "-pk")
    return published.only("title", "body_html").first()


def page_links() -> list[dict]:
    """The published site pages as every page's footer links them ({"title", "path"}, A to Z)."""
    return _readers_pages()["links"]


def readers_may_find(path: str) -> bool:
    """Whether a reader finds a page at `path` (in normal form): a published one, or a deleted
    one's 410. Asked for every address nothing else answers, without a query (`_readers_pages`)."""
    pages = _readers_pages()
    return path in pages["gone"] or any(link["path"] == path for link in pages["links"])


def _readers_pages() -> dict:
    """What readers get of the site pages: {"links": the published ones' page_links, "gone": the
    deleted ones' addresses}. Kept in the cache for the content version, which every change to
    what readers see moves (changes.refresh): one round trip to the cache, and after a change one
    query."""
    found = cache.get_many([VERSION_KEY, READERS_KEY])
    version = found.get(VERSION_KEY) or content_version()
    stored = found.get(READERS_KEY)
    if stored and stored[0] == version:
        return stored[1]
    reached = Post.objects.filter(kind=Kind.PAGE, status__in=[Post.Status.PUBLISHED, Post.Status.DELETED])
    pages = {"links": [], "gone": []}
    for title, path, status in reached.order_by("title", "pk").values_list("title", "path", "status"):
        if status == Post.Status.PUBLISHED:
            pages["links"].append({"title": title, "path": path})
        else:
            pages["gone"].append(path)
    cache.set(READERS_KEY, (version, pages), PAGE_TTL)
    return pages


def holder_of(alias_path: str) -> Post | None:
    """The site page an alias at `alias_path` (in normal form) would hide, if any."""
    path = alias_path.rstrip("/") + "/"
    if not PAGE_PATH.fullmatch(path):
        return None  # no query for a file's address (`/wp-login.php`)
    return Post.objects.existing().filter(kind=Kind.PAGE).at(path).only("title", "path").first()
