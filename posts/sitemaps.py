"""The sitemap: list pages, every published post and site page, the category and tag pages.

Served as an index (`/sitemap.xml`) of section pages (`/sitemap-<section>.xml?p=N`), at most
`limit` URLs each. Every item carries its lastmod as the `modified` annotation, so a section page
costs two queries (count and page) and the index two a section, whatever the number of posts.
URLs take the request's scheme and host: the sites framework is not installed, and Django falls
back to `RequestSite`.
"""

from functools import cached_property

from django.contrib.sitemaps import Sitemap
from django.db.models import Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from taggit.models import Tag

from .models import Category, Post


class AnnotatedSitemap(Sitemap):
    """A sitemap of a queryset whose items carry their lastmod as `modified`."""

    limit = 5000

    def lastmod(self, item):
        return item.modified

    def get_latest_lastmod(self):
        # One aggregate, where Sitemap's default would load every item.
        return self.items().aggregate(latest=Max("modified"))["latest"]


class PostSitemap(AnnotatedSitemap):
    """Every published post; lastmod is when the version readers see was made."""

    def items(self):
        # By pk, so a new post lands on the last page instead of shifting every page.
        return (
            Post.objects.published()
            .annotate(modified=Coalesce("live_revision__created", "lastmod", "date"))
            .only("slug")
            .order_by("pk")
        )


class SitePageSitemap(AnnotatedSitemap):
    """Every published site page at an address (site_pages.py); lastmod as a post's."""

    def items(self):
        return (
            Post.objects.live()
            .filter(kind=Post.Kind.PAGE)
            .annotate(modified=Coalesce("live_revision__created", "lastmod", "date"))
            .only("kind", "path")
            .order_by("pk")
        )


def newest_post_date(**filters):
    """The date of the newest published post matching `filters` (with OuterRef), as a subquery."""
    return Subquery(Post.objects.published().filter(**filters).order_by("-date").values("date")[:1])


class CategorySitemap(AnnotatedSitemap):
    """Every category with a published post; lastmod is its newest post's date."""

    def items(self):
        return (
            Category.objects.shown()
            .annotate(modified=newest_post_date(categories=OuterRef("pk")))
            .filter(modified__isnull=False)
            .only("slug")
            .order_by("pk")
        )

    def location(self, category):
        return reverse("posts:category", kwargs={"slug": category.slug})


class TagSitemap(AnnotatedSitemap):
    """Every tag with a published post; lastmod is its newest post's date."""

    def items(self):
        return (
            Tag.objects.annotate(modified=newest_post_date(tags=OuterRef("pk")))
            .filter(modified__isnull=False)
            .only("slug")
            .order_by("pk")
        )

    def location(self, tag):
        return reverse("posts:tag", kwargs={"slug": tag.slug})


class PageSitemap(Sitemap):
    """The home page and the site's indexes; lastmod is the newest post's date."""

    def items(self):
        return ["posts:home", "posts:list", "posts:categories", "posts:tags", "posts:archive"]

    def location(self, name):
        return reverse(name)

    @cached_property
    def newest(self):
        return Post.objects.published().aggregate(newest=Max("date"))["newest"]

    def lastmod(self, name):
        return self.newest

    def get_latest_lastmod(self):
        return self.newest


SITEMAPS = {
    "pages": PageSitemap,
    "posts": PostSitemap,
    "site-pages": SitePageSitemap,
    "categories": CategorySitemap,
    "tags": TagSitemap,
}
