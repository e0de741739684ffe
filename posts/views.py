import calendar
import json
import re
import string
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Count, Prefetch, Q
from django.db.models.functions import ExtractMonth, ExtractYear
from django.http import Http404, HttpResponsePermanentRedirect
from django.middleware.common import CommonMiddleware
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import http_date
from django.utils.safestring import SafeString, mark_safe
from django.views.generic import ListView, TemplateView
from taggit.models import Tag

from . import not_found, previews, site_pages
from .article import live_article
from .cache import cached_page
from .models import Alias, Category, Post, Revision
from .paths import path_of
from .related import related_posts
from .search import similar_posts

PAGE_SIZE = 20
FEATURED_CATEGORY = "top-news"
HOME_CATEGORIES = 20
JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}
# What a post page shows of the post itself; its stored article (article.py) holds the rest.
PAGE_FIELDS = ["title", "slug", "summary", "body_html", "date", "lastmod", "status", "updated", "article"]
# The published posts just before and after a post by date, those of the same date by id: each a
# date range the (status, date, id) index walks, minus the post's own side of its date (site pages
# are nobody's neighbours). Written out, in one query: the same reads through the ORM (two queries,
# commit caf4f20) took an uncached post page 43 % more CPU time (bench/reads.py --also caf4f20,
# 15,000 posts: 4.48 against 3.13 ms).
NEIGHBOURS_SQL = """
    SELECT * FROM (
        SELECT 'older', title, slug FROM posts_post
        WHERE status = %s AND kind = 'post' AND date <= %s AND NOT (date = %s AND id >= %s)
        ORDER BY date DESC, id DESC LIMIT 1
    ) AS older
    UNION ALL
    SELECT * FROM (
        SELECT 'newer', title, slug FROM posts_post
        WHERE status = %s AND kind = 'post' AND date >= %s AND NOT (date = %s AND id <= %s)
        ORDER BY date, id LIMIT 1
    ) AS newer
"""
FILE_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,5})$")  # "/Dr. Holick" names a page, not a file
PAGE_EXTENSIONS = {"html", "htm"}
SITE_PAGE_FIELDS = ["title", "kind", "path", "summary", "body_html", "status", "updated"]


def legacy_response(request):
    """The answer to an old URL: 301 to its post, 410 when the post was deleted, else None.

    One indexed query on the alias table. The 404 handler asks it for every path that matched
    nothing, old slugs of `/posts/<slug>/` included (and the middleware, for DEBUG's 404 page).
    """
    alias = (
        Alias.objects.matching(request.path, request.META.get("QUERY_STRING", ""), decoded=True)
        .select_related("post")
        .only("post__slug", "post__status", "post__kind", "post__path")
        .first()
    )
    if alias is None:
        return None
    if alias.post.status == Post.Status.DELETED:
        response = gone(request)
    elif alias.post.status == Post.Status.PUBLISHED or may_see(request, alias.post_id):
        response = HttpResponsePermanentRedirect(alias.post.get_absolute_url())
    else:
        return None
    not_found.alias_hit(alias.pk)
    return response


def may_see(request, post_id: int) -> bool:
    """Whether the user may see this post (DESIGN.md: an unpublished one only if they may edit it).
    A 404 handled before AuthenticationMiddleware has no user: it is anyone's."""
    user = getattr(request, "user", None) or AnonymousUser()
    return Post.objects.readable_by(user).filter(pk=post_id).exists()


@cached_page
def post_detail(request, slug):
    """A post's page in three queries: the post, its related posts, its neighbours. A published
    post is found without asking who the visitor is (no session read, so no `Vary: Cookie`)."""
    post = Post.objects.published().only(*PAGE_FIELDS).filter(slug=slug).first()
    if post is None:
        deleted = Post.objects.filter(status=Post.Status.DELETED)  # in the same query: they answer 410
        readable = (Post.objects.readable_by(request.user) | deleted).posts()
        post = readable.only(*PAGE_FIELDS).filter(slug=slug).first()
        if post is None:
            raise Http404("No post here.")
        if post.status == Post.Status.DELETED:
            return gone(request)
    if "tag_ids" not in post.article:  # none stored yet, or stored before articles named their tags
        post.article = live_article(post)
    return _post_page(request, post)


def preview(request, token):
    """A revision as its page will show it once published, through a signed link (previews.py)."""
    try:
        revision, until = previews.revision_of(token)
    except previews.InvalidPreviewLink as error:
        return render(request, "posts/preview_invalid.html", {"reason": str(error)}, status=404)
    shown = previews.post_as_revision(revision)
    if shown.is_site_page:
        response = _site_page(request, shown, preview=revision, until=until)
    else:
        response = _post_page(request, shown, preview=revision, until=until)
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _post_page(request, post: Post, preview: Revision | None = None, until: datetime | None = None):
    canonical_url = request.build_absolute_uri(post.get_absolute_url())
    image = post.article.get("image")
    image_url = request.build_absolute_uri(image) if image else ""
    modified = datetime.fromisoformat(post.article["modified"]) if post.article["modified"] else post.lastmod
    context = {
        "post": post,
        "preview": preview,
        "preview_until": until,
        "canonical_url": canonical_url,
        "image_url": image_url,
        "modified": modified,
        "json_ld": _json_ld(post, canonical_url, image_url, modified),
        "related": related_posts(post),
        **_neighbours(post),
    }
    response = render(request, "posts/post_detail.html", context)
    response["Last-Modified"] = http_date((modified or post.updated).timestamp())
    return response


def post_without_slash(request, slug):
    """`/posts/<slug>` (the legacy link form) goes to the canonical URL in one hop."""
    post = Post.objects.posts().filter(slug=slug).values("pk", "status").first()
    if post and post["status"] == Post.Status.DELETED:
        return gone(request)
    if post and (post["status"] == Post.Status.PUBLISHED or may_see(request, post["pk"])):
        return HttpResponsePermanentRedirect(f"{request.path}/")
    raise Http404("No post here.")


def category_without_slash(request, slug):
    """`/categories/<slug>` (the legacy link form) goes to the category's page in one hop, a
    merged category's to the page of the one kept."""
    if Category.objects.shown().filter(slug=slug).exists():
        return HttpResponsePermanentRedirect(f"{request.path}/")
    return merged_category_redirect("posts:category", slug)


def merged_category_redirect(route: str, slug: str):
    """The 301 from the page or feed (`route`) of a merged category to the same of the category it
    was merged into, if readers see that one; else the 404 of a category not found."""
    category = Category.objects.shown().merged_from(slug)
    if category is None:
        raise Http404("No category here.")
    return HttpResponsePermanentRedirect(path_of(route, category.slug))


def tag_html(request, slug):
    """`/tags/<slug>.html`, the static site's tag URL."""
    return redirect("posts:tag", slug=slug, permanent=True)


def gone(request, exception=None):
    return render(request, "410.html", status=410)


def site_page_response(request):
    """The site page at the request's address (site_pages.py): its page, a 301 to the page's own
    spelling of the address ("/About" to "/about/"), 410 once deleted; None if no page is there
    for this user. A published page is found without asking who the visitor is, as a post.

    The 404 handler and the middleware ask it after the aliases: for an anonymous visitor, only
    at an address readers may find a page at (site_pages.readers_may_find, from the cache), so an
    old URL's redirect and a 404 cost no query more. Its pages are kept by the page cache as a
    cached view's (`cached_page` on the response: no route names the view)."""
    path = site_pages.page_path_of(request.path)
    signed_in = settings.SESSION_COOKIE_NAME in request.COOKIES  # who may see drafts
    if path is None or not (signed_in or site_pages.readers_may_find(path)):
        return None
    page = Post.objects.live().site_pages().at(path).only(*SITE_PAGE_FIELDS).first()
    if page is None:
        user = getattr(request, "user", None) or AnonymousUser()
        deleted = Post.objects.filter(status=Post.Status.DELETED)
        readable = (Post.objects.readable_by(user) | deleted).site_pages()
        page = readable.at(path).only(*SITE_PAGE_FIELDS).first()
        if page is None:
            return None
    if page.status == Post.Status.DELETED:
        response = gone(request)
    elif request.path != page.path:
        return HttpResponsePermanentRedirect(page.path)
    else:
        response = _site_page(request, page)
        response["Last-Modified"] = http_date(page.updated.timestamp())
    response.cached_page = True
    return response


def _site_page(request, page: Post, preview: Revision | None = None, until: datetime | None = None):
    context = {
        "page": page,
        "preview": preview,
        "preview_until": until,
        "canonical_url": request.build_absolute_uri(page.get_absolute_url()),
    }
    return render(request, "posts/site_page.html", context)


def page_not_found(request, exception=None):
    """The 404 page (handler404): an old wiki URL still redirects, a site page is served (no alias
    is at a page's address: the order is for the old URLs, which need no more than their query);
    any other address of a page gets the published posts whose titles are closest to its words,
    found through the search index."""
    response = legacy_response(request) or site_page_response(request)
    if response is None:
        suggestions = similar_posts(request.path) if _names_a_page(request) else []
        response = render(request, "404.html", {"suggestions": suggestions}, status=404)
        not_found.record(request)
    response.legacy_checked = True  # for LegacyRedirectMiddleware
    return response


def _names_a_page(request) -> bool:
    """False for a missing file (`/wp-login.php`, `/favicon.ico`: scanners and browsers ask for
    thousands) and for a path CommonMiddleware answers by adding its slash: no search for those."""
    extension = FILE_EXTENSION.search(request.path_info)
    if extension and extension[1].lower() not in PAGE_EXTENSIONS:
        return False
    return not CommonMiddleware(page_not_found).should_redirect_with_slash(request)


def _json_ld(post: Post, url: str, image_url: str, modified) -> SafeString:
    """schema.org Article data, safe inside a <script> element."""
    data = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": post.title[:110],
        "datePublished": post.date.isoformat(),
        "dateModified": (modified or post.date).isoformat(),
        "mainEntityOfPage": url,
        "url": url,
        "publisher": {"@type": "Organization", "name": "VitaminDWiki"},
        "keywords": post.article.get("tags", []),
        "articleSection": post.article.get("categories", []),
    }
    if post.summary:
        data["description"] = post.summary
    if image_url:
        data["image"] = image_url
    if post.article["author"]:
        data["author"] = {"@type": "Person", "name": post.article["author"]}
    return mark_safe(json.dumps(data, ensure_ascii=False).translate(JSON_SCRIPT_ESCAPES))


@dataclass(frozen=True)
class PostLink:
    title: str
    url: str


def _neighbours(post: Post) -> dict[str, PostLink]:
    """{"previous": the older published post, "next": the newer one}, those there are."""
    published, date, pk = Post.Status.PUBLISHED, connection.ops.adapt_datetimefield_value(post.date), post.pk
    with connection.cursor() as cursor:
        cursor.execute(NEIGHBOURS_SQL, [published, date, date, pk, published, date, date, pk])
        rows = cursor.fetchall()
    names = {"older": "previous", "newer": "next"}
    return {names[side]: PostLink(title, path_of("posts:detail", slug)) for side, title, slug in rows}


def _listed(posts, *fields):
    """Posts as list items show: title, date, summary and categories (one query for all), and
    `fields` besides."""
    return posts.only("title", "slug", "date", "summary", *fields).prefetch_related(
        Prefetch("categories", queryset=Category.objects.shown().only("name", "slug"))
    )


class PostListView(ListView):
    paginate_by = PAGE_SIZE
    template_name = "posts/post_list.html"
    heading = "All posts"

    def get_queryset(self):
        return _listed(Post.objects.published().order_by("-date", "-pk"))

    def get_context_data(self, **kwargs):
        return super().get_context_data(heading=self.heading, **kwargs)


class RecentView(PostListView):
    """Published posts whose change went live after their first publication (or whose dump gave a
    lastmod), the most recently changed first, each with the date of its change."""

    heading = "Recently updated"

    def get_queryset(self):
        updated = Post.objects.published().filter(lastmod__isnull=False).order_by("-lastmod", "-pk")
        return _listed(updated, "lastmod")

    def get_context_data(self, **kwargs):
        return super().get_context_data(recent=True, **kwargs)


class CategoryPostsView(PostListView):
    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            return merged_category_redirect("posts:category", kwargs["slug"])

    def get_queryset(self):
        self.category = get_object_or_404(Category.objects.shown(), slug=self.kwargs["slug"])
        return super().get_queryset().filter(categories=self.category)

    def get_context_data(self, **kwargs):
        return super().get_context_data(category=self.category, **kwargs) | {"heading": self.category.name}


class TagPostsView(PostListView):
    def get_queryset(self):
        self.tag = get_object_or_404(Tag, slug=self.kwargs["slug"])
        return super().get_queryset().filter(tags=self.tag)

    def get_context_data(self, **kwargs):
        return super().get_context_data(tag=self.tag, **kwargs) | {"heading": f"Tagged “{self.tag.name}”"}


class ArchiveView(PostListView):
    """Posts of a year, or of a month of it."""

    def get_queryset(self):
        posts = super().get_queryset().filter(date__year=self.kwargs["year"])
        if "month" in self.kwargs:
            posts = posts.filter(date__month=self.kwargs["month"])
        return posts

    def get_context_data(self, **kwargs):
        year, month = self.kwargs["year"], self.kwargs.get("month")
        heading = f"{calendar.month_name[month]} {year}" if month else str(year)
        return super().get_context_data(**kwargs) | {"heading": f"Posts of {heading}"}


class HomeView(TemplateView):
    template_name = "posts/home.html"

    def get_context_data(self, **kwargs):
        published = Post.objects.published().order_by("-date", "-pk")
        introduction = site_pages.home_introduction()
        shown = Category.objects.shown()
        featured = shown.filter(slug=FEATURED_CATEGORY).first() or shown.merged_from(FEATURED_CATEGORY)
        return super().get_context_data(**kwargs) | {
            "introduction": introduction,
            "newest": _listed(published)[:PAGE_SIZE],
            "featured": featured,
            "featured_posts": published.filter(categories=featured).only("title", "slug", "date")[:5]
            if featured
            else [],
            "categories": _categories_with_counts().order_by("-count", "name")[:HOME_CATEGORIES],
        }


def _categories_with_counts():
    return (
        Category.objects.shown()
        .annotate(count=Count("posts", filter=Q(posts__status=Post.Status.PUBLISHED)))
        .filter(count__gt=0)
        .order_by("name")
    )


class CategoryListView(TemplateView):
    template_name = "posts/category_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"categories": _categories_with_counts()}


class TagListView(TemplateView):
    """Every tag of a published post, A to Z whatever its case or accents, under its initial (digits
    and symbols under "#"), with an index of the initials and a filter box (tag-filter.js)."""

    template_name = "posts/tag_list.html"

    def get_context_data(self, **kwargs):
        published = Q(posts_taggedpost_items__content_object__status=Post.Status.PUBLISHED)
        tags = (
            Tag.objects.annotate(count=Count("posts_taggedpost_items", filter=published))
            .filter(count__gt=0)
            .values("name", "slug", "count")
        )
        by_initial: dict[str, list] = {}
        for tag in sorted(tags, key=lambda tag: (_sort_key(tag["name"]), tag["name"])):
            by_initial.setdefault(_initial(tag["name"]), []).append(tag)
        index = [(letter, letter in by_initial) for letter in INITIALS]
        return super().get_context_data(**kwargs) | {"groups": list(by_initial.items()), "index": index}


INITIALS = ["#", *string.ascii_uppercase]


def _sort_key(name: str) -> str:
    """A name as readers alphabetise it: case and accents aside ("Écho" with "echo")."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold() or name.casefold()


def _initial(name: str) -> str:
    first = _sort_key(name)[:1].upper()
    return first if first in string.ascii_uppercase else "#"


@dataclass
class ArchiveYear:
    year: int
    count: int
    months: list[tuple[int, str, int]]  # number, name, posts (0 for none)


class ArchiveIndexView(TemplateView):
    """Every year with published posts, newest first, as a row of its twelve months and their counts."""

    template_name = "posts/archive_index.html"

    def get_context_data(self, **kwargs):
        counts: dict[int, dict[int, int]] = {}
        for year, month, count in (
            Post.objects.published()
            .annotate(year=ExtractYear("date"), month=ExtractMonth("date"))
            .values_list("year", "month")
            .annotate(count=Count("pk"))
            .order_by()
        ):
            counts.setdefault(year, {})[month] = count
        years = [
            ArchiveYear(
                year, sum(months.values()), [(n, calendar.month_abbr[n], months.get(n, 0)) for n in range(1, 13)]
            )
            for year, months in sorted(counts.items(), reverse=True)
        ]
        return super().get_context_data(**kwargs) | {"years": years}


home = cached_page(HomeView.as_view())
post_list = cached_page(PostListView.as_view(), query=["page"])
recent = cached_page(RecentView.as_view(), query=["page"])
category_posts = cached_page(CategoryPostsView.as_view(), query=["page"])
tag_posts = cached_page(TagPostsView.as_view(), query=["page"])
archive = cached_page(ArchiveView.as_view(), query=["page"])
archive_index = cached_page(ArchiveIndexView.as_view())
category_list = cached_page(CategoryListView.as_view())
tag_list = cached_page(TagListView.as_view())
