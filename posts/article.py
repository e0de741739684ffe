"""The article of a post page, rendered when it changes rather than at every view.

A page shows two kinds of things: the post itself (its header with categories, title and dates,
the contents, the body, its attachments and tags) and what depends on other posts (related posts,
previous and next). The first changes only when the post, its categories, tags or attachments do,
yet is read thousands of times for each change; it is rendered here and stored on the post
(`Post.article`): the HTML before the body (`header`) and after it (`footer`), and what the page's
metadata names (`tags`, `categories`, `image`, `author`, `modified`). The body itself is the
post's `body_html`, stored once.

It is stored again, in the same transaction as the change, by whatever changes the post or what
it shows (changes.refresh: the workflow's verbs, the importer, and the receivers of a renamed
user, category or tag). The importer renders the articles of the posts it creates itself, with
the rows it inserts. `manage.py rerender` renders every article again. A post whose article was
never stored gets it rendered at each view, by the same function.

The HTML is built in Python, not by a template: the importer renders 15,000 articles, and the
template engine would take longer over them than the rest of the import.
"""

import re
from collections.abc import Iterable
from datetime import datetime
from html import escape, unescape

from django.db.models import Prefetch
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.html import strip_tags
from taggit.models import Tag

from .models import Attachment, Category, Post
from .paths import paths_of

# The post's own fields its article and metadata show. A revision never changes once written, so
# the live one's date changes only with `live_revision`.
SOURCE_FIELDS = ["title", "date", "lastmod", "body_html", "author", "live_revision"]
AUTHOR_FIELDS = ["username", "first_name", "last_name"]
RELATED_FIELDS = {"author": AUTHOR_FIELDS, "live_revision": ["created"]}
HEADING_RE = re.compile(r'<h([2-4]) id="([^"]+)">(.*?)</h\1>', re.DOTALL)
MIN_TOC_HEADINGS = 3
BATCH = 500


def article_of(
    post: Post, categories: Iterable, tags: Iterable, attachments: Iterable, *, modified: datetime | None
) -> dict:
    """The stored article of `post` with these categories, tags and attachments (in any order,
    with repeats) and this date of its live revision."""
    categories = sorted({c.pk: c for c in categories}.values(), key=lambda c: c.name)
    tags = sorted({t.pk: t for t in tags}.values(), key=lambda t: (t.name.casefold(), t.pk))
    attachments = sorted({a.pk: a for a in attachments}.values(), key=lambda a: a.legacy_url or a.file.name)
    return {
        "header": _header(post, categories),
        "footer": _footer(tags, attachments),
        "tags": [t.name for t in tags],
        "categories": [c.name for c in categories],
        "image": next((a.url for a in attachments if a.kind == Attachment.Kind.IMAGE), ""),
        "author": (post.author.get_full_name() or post.author.get_username()) if post.author else "",
        "modified": modified.isoformat() if modified else "",
    }


def _header(post: Post, categories: list[Category]) -> str:
    parts = ['<header class="post-header">']
    if categories:
        category_path = paths_of("posts:category")
        links = " · ".join(_link(category_path(c.slug), c.name) for c in categories)
        parts.append(f'<p class="kicker">{links}</p>')
    parts.append(f"<h1>{escape(post.title)}</h1>")
    dates = _time(post.date)
    if post.lastmod and _day(post.lastmod) != _day(post.date):
        dates += f" · updated {_time(post.lastmod)}"
    parts.append(f'<p class="meta">{dates}</p>\n</header>')
    parts.append(_contents(post.body_html))
    return "\n".join(part for part in parts if part)


def _footer(tags: list[Tag], attachments: list[Attachment]) -> str:
    parts = []
    if attachments:
        items = "".join(f"<li>{_link(a.url, str(a))} {_attachment_meta(a)}</li>" for a in attachments)
        parts.append(
            '<section class="attachments" aria-labelledby="attachments-heading">\n'
            f'<h2 id="attachments-heading">Attachments</h2>\n<ul>{items}</ul>\n</section>'
        )
    if tags:
        tag_path = paths_of("posts:tag")
        items = "".join(f"<li>{_link(tag_path(t.slug), t.name)}</li>" for t in tags)
        parts.append(
            '<footer class="post-footer">\n<h2 class="visually-hidden">Tags</h2>\n'
            f'<ul class="tags">{items}</ul>\n</footer>'
        )
    return "\n".join(parts)


def store_articles(post_ids: Iterable[int]) -> None:
    """Render the articles of these posts from the database and store them."""
    post_ids = sorted(set(post_ids))
    for start in range(0, len(post_ids), BATCH):
        posts = list(_with_sources(Post.objects.filter(pk__in=post_ids[start : start + BATCH])))
        for post in posts:
            post.article = _article_from_prefetched(post)
        Post.objects.bulk_update(posts, ["article"])


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
            Prefetch("categories", queryset=Category.objects.only("name", "slug")),
            "tags",  # taggit takes no queryset of its own here
            "attachments",
        )
    )


def _article_from_prefetched(post: Post) -> dict:
    modified = post.live_revision.created if post.live_revision else None
    return article_of(post, post.categories.all(), post.tags.all(), post.attachments.all(), modified=modified)


def _contents(body_html: str) -> str:
    """A table of the post's h2–h4 headings, unless the body has its own ({{< toc >}})."""
    if '<nav class="toc">' in body_html:
        return ""
    headings = HEADING_RE.findall(body_html)
    if len(headings) < MIN_TOC_HEADINGS:
        return ""
    items = "".join(
        f'<li class="toc-level-{level}"><a href="#{anchor}">{escape(unescape(strip_tags(text)))}</a></li>'
        for level, anchor, text in headings
    )
    return f'<nav class="toc" aria-label="Contents">\n<h2>Contents</h2>\n<ul>{items}</ul>\n</nav>'


def _link(url: str, text: str) -> str:
    return f'<a href="{escape(url)}">{escape(text)}</a>'


def _time(value: datetime) -> str:
    """`value` as the site shows a date ("29 January 2024": the date filter's "j F Y", without
    its cost, which was a tenth of an import's time)."""
    local = timezone.localtime(value)
    return f'<time datetime="{local:%Y-%m-%d}">{local.day} {MONTHS[local.month]} {local.year}</time>'


def _day(value: datetime):
    return timezone.localtime(value).date()


def _attachment_meta(attachment: Attachment) -> str:
    size = f", {filesizeformat(attachment.size)}" if attachment.size else ""
    return f'<span class="meta">{escape(attachment.get_kind_display())}{escape(size)}</span>'
