"""The article of a post page, rendered when it changes rather than at every view.

A page shows two kinds of things: the post itself (its header with categories, title and dates,
the contents, the body, its attachments and tags) and what depends on other posts (related posts,
previous and next). The first changes only when the post, its categories, tags or attachments do,
yet is read thousands of times for each change; it is rendered here and stored on the post
(`Post.article`): the HTML before the body (`header`) and after it (`footer`), what the page's
metadata names (`tags`, `categories`, `image`, `author`, `modified`), and the ids of its tags
(`tag_ids`), by which the page finds its related posts (related.py). The body itself is the
post's `body_html`, stored once.

It is stored again, in the same transaction as the change, by whatever changes the post or what
it shows (changes.refresh: the workflow's verbs, the importer, and the receivers of a renamed
user, category or tag). The importer renders the articles of the posts it creates itself, with
the rows it inserts. `manage.py rerender` renders every article again. A post whose article was
never stored gets it rendered at each view, by the same function.

The header and footer are the templates posts/article/header.html and footer.html; the dates
they show come formatted from here (see _shown_date).
"""

import re
from collections.abc import Iterable
from datetime import datetime
from html import unescape

from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.html import strip_tags
from taggit.models import Tag

from .models import Attachment, Category, Post
from .paths import paths_of

# The post's own fields its article and metadata show, and its labels (stored with it). A revision
# never changes once written, so the live one's date changes only with `live_revision`.
SOURCE_FIELDS = ["title", "date", "lastmod", "body_html", "labels", "author", "live_revision"]
AUTHOR_FIELDS = ["username", "first_name", "last_name"]
RELATED_FIELDS = {"author": AUTHOR_FIELDS, "live_revision": ["created"]}
HEADING_RE = re.compile(r'<h([2-4]) id="([^"]+)">(.*?)</h\1>', re.DOTALL)
MIN_TOC_HEADINGS = 3
BATCH = 500


def article_of(
    post: Post, categories: Iterable, tags: Iterable, attachments: Iterable, *, modified: datetime | None
) -> dict:
    """The stored article of `post` with these categories (the hidden ones left out), tags and
    attachments (in any order, with repeats) and this date of its live revision."""
    categories = sorted({c.pk: c for c in categories if not c.hidden}.values(), key=lambda c: c.name)
    tags = sorted({t.pk: t for t in tags}.values(), key=lambda t: (t.name.casefold(), t.pk))
    attachments = sorted({a.pk: a for a in attachments}.values(), key=lambda a: a.legacy_url or a.file.name)
    return {
        "header": _header(post, categories),
        "footer": _footer(tags, attachments),
        "tags": [t.name for t in tags],
        "tag_ids": [t.pk for t in tags],
        "categories": [c.name for c in categories],
        "image": next((a.url for a in attachments if a.kind == Attachment.Kind.IMAGE), ""),
        "author": (post.author.get_full_name() or post.author.get_username()) if post.author else "",
        "modified": modified.isoformat() if modified else "",
    }


def _header(post: Post, categories: list[Category]) -> str:
    category_path = paths_of("posts:category")
    updated = post.lastmod if post.lastmod and _day(post.lastmod) != _day(post.date) else None
    return render_to_string(
        "posts/article/header.html",
        {
            "categories": [{"name": c.name, "url": category_path(c.slug)} for c in categories],
            "title": post.title,
            "date": _shown_date(post.date),
            "updated": _shown_date(updated) if updated else None,
            "contents": _contents(post.body_html),
        },
    )


def _footer(tags: list[Tag], attachments: list[Attachment]) -> str:
    tag_path = paths_of("posts:tag")
    tags = [{"name": t.name, "url": tag_path(t.slug)} for t in tags]
    return render_to_string("posts/article/footer.html", {"tags": tags, "attachments": attachments})


def store_articles(post_ids: Iterable[int]) -> None:
    """Render the articles of these posts from the database and store them, with the labels search
    finds them by where those changed: both name the post's categories and tags as they are now
    (renamed, hidden or shown again)."""
    post_ids = sorted(set(post_ids))
    for start in range(0, len(post_ids), BATCH):
        posts = list(_with_sources(Post.objects.filter(pk__in=post_ids[start : start + BATCH])))
        relabelled = []
        for post in posts:
            post.article = _article_from_prefetched(post)
            labels = Post.labels_for(post.categories.all(), [tag.name for tag in post.tags.all()])
            if labels != post.labels:
                post.labels = labels
                relabelled.append(post)
        Post.objects.bulk_update(posts, ["article"])
        Post.objects.bulk_update(relabelled, ["labels"])


def live_article(post: Post) -> dict:
    """The article of a post that has none stored, rendered now (four queries)."""
    source = _with_sources(Post.objects.filter(pk=post.pk)).get()
    return _article_from_prefetched(source)


def _with_sources(posts):
    related = [f"{relation}__{name}" for relation, names in RELATED_FIELDS.items() for name in names]
    return (
        posts.select_related(*RELATED_FIELDS)
        .only(*SOURCE_FIELDS, *related)
        .prefetch_related(
            Prefetch("categories", queryset=Category.objects.only("name", "slug", "hidden")),
            "tags",  # taggit takes no queryset of its own here
            "attachments",
        )
    )


def _article_from_prefetched(post: Post) -> dict:
    modified = post.live_revision.created if post.live_revision else None
    return article_of(post, post.categories.all(), post.tags.all(), post.attachments.all(), modified=modified)


def _contents(body_html: str) -> list[dict]:
    """The post's h2–h4 headings for a table of contents, unless the body has its own ({{< toc >}})."""
    if '<nav class="toc">' in body_html:
        return []
    headings = HEADING_RE.findall(body_html)
    if len(headings) < MIN_TOC_HEADINGS:
        return []
    return [
        {"level": level, "anchor": unescape(anchor), "text": unescape(strip_tags(text))}
        for level, anchor, text in headings
    ]


def _shown_date(value: datetime) -> dict:
    """`value` as the site shows a date ("29 January 2024": the date filter's "j F Y", without
    its cost, which was a tenth of an import's time)."""
    local = timezone.localtime(value)
    return {"iso": f"{local:%Y-%m-%d}", "text": f"{local.day} {MONTHS[local.month]} {local.year}"}


def _day(value: datetime):
    return timezone.localtime(value).date()
