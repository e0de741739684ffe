"""A revision as readers will see it, before it is published: for staff, and through a signed link
that works without an account until it expires (DESIGN.md: drafts are visible to staff and through
expiring signed preview links).

The link names a revision, not a post: what it shows never changes, and a later edit needs a new
link. It carries its own expiry time, signed with SECRET_KEY: it can be neither forged nor extended.
"""

import time
from datetime import UTC, datetime
from functools import reduce
from operator import or_

from django.conf import settings
from django.core import signing
from django.db.models import Q
from django.urls import reverse
from taggit.models import Tag

from .article import article_of
from .models import Category, Post, Revision, render_body

SALT = "vdwiki.preview"


class InvalidPreviewLink(Exception):
    """A link that was forged, altered, names no revision, or has expired; the message says which."""


def preview_url(revision: Revision) -> str:
    """A link to the revision's preview, working until VDWIKI_PREVIEW_MAX_AGE seconds from now."""
    until = int(time.time()) + settings.VDWIKI_PREVIEW_MAX_AGE
    return reverse("posts:preview", args=[signing.dumps({"revision": revision.pk, "until": until}, salt=SALT)])


def max_age_days() -> float:
    return round(settings.VDWIKI_PREVIEW_MAX_AGE / 86400, 1)


def revision_of(token: str) -> tuple[Revision, datetime]:
    """The revision a link names and until when the link works, if the link is genuine and alive."""
    try:
        signed = signing.loads(token, salt=SALT)
    except signing.BadSignature as error:
        raise InvalidPreviewLink("This preview link is not valid: it may have been cut short or altered.") from error
    if time.time() > signed["until"]:
        raise InvalidPreviewLink("This preview link has expired: ask for a new one.")
    revision = Revision.objects.select_related("post", "post__author").filter(pk=signed["revision"]).first()
    if revision is None or revision.post.status == Post.Status.DELETED:
        raise InvalidPreviewLink("The post of this preview link was deleted.")
    return revision, datetime.fromtimestamp(signed["until"], tz=UTC)


def post_as_revision(revision: Revision) -> Post:
    """The revision's post as its page would show it with the revision live (not saved)."""
    post = revision.post
    shown = Post(
        pk=post.pk,
        kind=post.kind,
        path=post.path,
        title=revision.title,
        slug=revision.slug,
        written_summary=revision.summary,
        date=post.date,
        lastmod=post.lastmod,
        author=post.author,
        status=post.status,
        updated=post.updated,
    )
    shown.set_rendered(render_body(revision.body))
    categories = Category.objects.named(revision.categories)
    shown.article = article_of(
        shown, categories, _tags(revision.tags), post.attachments.all(), modified=revision.created
    )
    return shown


def _tags(names: list[str]) -> list[Tag]:
    """The revision's tags; those not made yet as they will be."""
    if not names:
        return []
    found = Tag.objects.filter(reduce(or_, (Q(name__iexact=name) for name in names)))
    existing = {tag.name.casefold(): tag for tag in found}
    return [
        existing.get(name.casefold()) or Tag(pk=-index, name=name, slug=Tag(name=name).slugify(name))
        for index, name in enumerate(names, 1)
    ]
