"""RSS 2.0 and Atom feeds of the newest published posts: the whole site, a category, a tag.

Each entry carries the post's summary (`<description>` / `<summary>`) and its full rendered body
(`<content:encoded>` / `<content>`), sanitized again with its links made absolute, so readers can
show either. A feed costs the same few queries however many posts there are: the posts with their
author (and their live revision's date), then their categories, then their tags.
"""

from django.contrib.syndication.views import Feed
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import feedgenerator
from django.utils.html import escape
from taggit.models import Tag

from .models import Category, Post
from .rendering import absolute_urls
from .views import merged_category_redirect

SITE_NAME = "VitaminDWiki"
ITEMS = 20


class ContentRssFeed(feedgenerator.Rss201rev2Feed):
    """RSS 2.0 with each post's full HTML in `content:encoded` (the RSS content module)."""

    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:content": "http://purl.org/rss/1.0/modules/content/"}

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content:encoded", absolute_urls(item["content"], item["link"]))


class ContentAtomFeed(feedgenerator.Atom1Feed):
    """Atom with each post's full HTML in `<content type="html">`."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content", absolute_urls(item["content"], item["link"]), {"type": "html"})


class PostFeed(Feed):
    """The newest published posts of the whole site, as RSS."""

    feed_type = ContentRssFeed
    ordering = ("-date", "-pk")

    def title(self, obj):
        return SITE_NAME

    def description(self, obj):
        return f"The newest posts on {SITE_NAME}: vitamin D research and news."

    def link(self, obj):
        return reverse("posts:home")

    def posts(self, obj):
        """The posts this feed draws from; subclasses narrow it."""
        return Post.objects.published()

    def items(self, obj):
        return (
            self.posts(obj)
            .select_related("author")
            .prefetch_related("categories", "tags")
            .defer("body", "body_text", "legacy_metadata")
            .annotate(modified=Coalesce("live_revision__created", "lastmod"))
            .order_by(*self.ordering)[:ITEMS]
        )

    def item_title(self, post):
        # RSS readers take an item's title as HTML (Django's default escapes it too, #6533).
        return escape(post.title)

    def item_description(self, post):
        # The plain-text summary, as the HTML both RSS and Atom (type="html") carry here.
        return escape(post.summary) if post.summary else None

    def item_extra_kwargs(self, post):
        return {"content": post.body_html}

    def item_pubdate(self, post):
        return post.date

    def item_updateddate(self, post):
        # As on the post page: when the version readers see was made, else the dump's lastmod.
        return post.modified

    def item_author_name(self, post):
        if post.author:
            return post.author.get_full_name() or post.author.get_username()
        return None

    def item_categories(self, post):
        # A category's name is often a tag's as well, sometimes in other capitals: name it once.
        tags = sorted((tag.name for tag in post.tags.all()), key=str.casefold)
        names = {}
        shown = [category.name for category in post.categories.all() if not category.hidden]
        for name in [*shown, *tags]:
            names.setdefault(name.casefold(), name)
        return list(names.values())


class RecentFeed(PostFeed):
    """Published posts whose change went live, the most recently changed first, as RSS (/recent/):
    each change an item of its own, so that a feed reader shows it as new."""

    ordering = ("-lastmod", "-pk")
    item_guid_is_permalink = False

    def title(self, obj):
        return f"{SITE_NAME} — recently updated"

    def description(self, obj):
        return f"Posts on {SITE_NAME} updated since they were first published."

    def link(self, obj):
        return reverse("posts:recent")

    def posts(self, obj):
        return super().posts(obj).filter(lastmod__isnull=False)

    def item_pubdate(self, post):
        return post.lastmod

    def item_guid(self, post):
        return f"{self.item_link(post)}#updated-{post.lastmod:%Y%m%dT%H%M%S}"


class CategoryFeed(PostFeed):
    """The newest published posts of one category, as RSS."""

    route = "feeds:category"

    def __call__(self, request, *args, **kwargs):
        try:
            return super().__call__(request, *args, **kwargs)
        except Http404:
            return merged_category_redirect(self.route, kwargs["slug"])

    def get_object(self, request, slug):
        return get_object_or_404(Category.objects.shown(), slug=slug)

    def title(self, category):
        return f"{SITE_NAME} — {category.name}"

    def description(self, category):
        return category.description or f"The newest {SITE_NAME} posts in {category.name}."

    def link(self, category):
        return reverse("posts:category", kwargs={"slug": category.slug})

    def posts(self, category):
        return super().posts(category).filter(categories=category)


class TagFeed(PostFeed):
    """The newest published posts with one tag, as RSS."""

    def get_object(self, request, slug):
        return get_object_or_404(Tag, slug=slug)

    def title(self, tag):
        return f"{SITE_NAME} — tagged “{tag.name}”"

    def description(self, tag):
        return f"The newest {SITE_NAME} posts tagged “{tag.name}”."

    def link(self, tag):
        return reverse("posts:tag", kwargs={"slug": tag.slug})

    def posts(self, tag):
        return super().posts(tag).filter(tags=tag)


class AtomMixin:
    """The same feed as Atom, whose titles are plain text and whose description is a subtitle."""

    feed_type = ContentAtomFeed

    def subtitle(self, obj):
        return self.description(obj)

    def item_title(self, post):
        return post.title


class PostAtomFeed(AtomMixin, PostFeed):
    pass


class CategoryAtomFeed(AtomMixin, CategoryFeed):
    route = "feeds:category-atom"


class TagAtomFeed(AtomMixin, TagFeed):
    pass
