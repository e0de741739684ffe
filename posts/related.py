"""Related posts: the published posts sharing the most of a post's rare tags, then the most of its
tags, newer first among equals.

A post page must not count the thousands of posts of a common tag ("vitamin d") at every view.
Each tag keeps a digest instead (TagDigest): how many published posts it has and its newest
NEWEST_PER_TAG of them. A page reads its tags' digests in one query; a tag whose digest holds
all its posts is a rare one. The digests are remade when a change to what they hold commits: a
post published, unpublished or deleted, its title, slug or date changed, a tag added or removed;
the importer remakes them all after its bulk writes, and so does `manage.py refresh_digests`.
A change made with QuerySet.update() sends no signal: run that command after one.
"""

from collections import Counter
from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber

from .cache import bump_content_version
from .models import LISTING_FIELDS, Post, TagDigest, TaggedPost
from .paths import path_of

RELATED_POSTS = 5
NEWEST_PER_TAG = 20
DIGEST_LOCK = 0x7664_6967  # "vdig": PostgreSQL advisory lock taken while digests are remade

_paused = ContextVar("digests_paused", default=False)


@dataclass(frozen=True)
class RelatedPost:
    id: int
    title: str
    slug: str
    date: datetime

    def get_absolute_url(self) -> str:
        return path_of("posts:detail", self.slug)


def related_posts(post: Post) -> list[RelatedPost]:
    """One query: the digests of the post's tags."""
    posts, shared, shared_rare = {}, Counter(), Counter()
    digests = TagDigest.objects.filter(tag__posts_taggedpost_items__content_object_id=post.pk)
    for published, newest in digests.values_list("published", "newest"):
        rare = published <= NEWEST_PER_TAG
        for post_id, title, slug, date in newest:
            if post_id != post.pk:
                if post_id not in posts:
                    posts[post_id] = RelatedPost(post_id, title, slug, datetime.fromisoformat(date))
                shared[post_id] += 1
                shared_rare[post_id] += rare
    best = sorted(posts.values(), key=lambda p: (shared_rare[p.id], shared[p.id], p.date, p.id), reverse=True)
    return best[:RELATED_POSTS]


@contextmanager
def digests_paused():
    """Posts saved within this block leave the digests alone. For bulk changes (an import), whose
    author remakes every digest once at the end rather than some for each post."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


def refresh_tag_digests(tag_ids: Iterable[int] | None = None) -> None:
    """Make the digests of these tags (of every tag, when None) match the posts."""
    if tag_ids is not None:
        tag_ids = set(tag_ids)
        if not tag_ids:
            return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # One refresh at a time, each reading what the one before it committed: two run side
            # by side could each miss the other's post and leave a digest without it.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DIGEST_LOCK])
        digests = _digests(tag_ids)
        stale = TagDigest.objects.all() if tag_ids is None else TagDigest.objects.filter(tag__in=tag_ids)
        stale.delete()
        TagDigest.objects.bulk_create(digests, batch_size=500)


def _digests(tag_ids: set[int] | None) -> list[TagDigest]:
    taggings = TaggedPost.objects.filter(content_object__in=Post.objects.published())
    if tag_ids is not None:
        taggings = taggings.filter(tag__in=tag_ids)
    by_tag = F("tag_id")
    newest_first = [F("content_object__date").desc(), F("content_object_id").desc()]
    rows = (
        taggings.annotate(
            position=Window(RowNumber(), partition_by=by_tag, order_by=newest_first),
            published=Window(Count("pk"), partition_by=by_tag),
        )
        .filter(position__lte=NEWEST_PER_TAG)
        .order_by("tag_id", "position")
        .values_list("tag_id", "published", "content_object_id", "content_object__title",
                     "content_object__slug", "content_object__date")
    )  # fmt: skip
    digests: dict[int, TagDigest] = {}
    for tag_id, published, post_id, title, slug, date in rows:
        digest = digests.setdefault(tag_id, TagDigest(tag_id=tag_id, published=published, newest=[]))
        digest.newest.append([post_id, title, slug, date.isoformat()])
    return list(digests.values())


def _refresh(tag_ids: set[int]):
    def refresh():
        refresh_tag_digests(tag_ids)
        bump_content_version()  # pages cached before the digests were remade show old related posts

    return refresh


def _refresh_on_commit(tag_ids: Iterable[int]) -> None:
    """Remake these digests once the change commits: before, the refresh could not see it."""
    tag_ids = set(tag_ids)
    if tag_ids and not _paused.get():
        transaction.on_commit(_refresh(tag_ids), robust=True)


def _post_saved(sender, instance: Post, created: bool, update_fields, **kwargs) -> None:
    saved, current = instance.saved_listing, instance.listing()
    written = [name for name in LISTING_FIELDS if update_fields is None or name in update_fields]
    changed = created or any(saved.get(name) != current[name] for name in written)
    if changed and (saved.get("status") == Post.Status.PUBLISHED or instance.is_published):
        _refresh_on_commit(instance.tags.values_list("pk", flat=True))


def _post_deleting(sender, instance: Post, **kwargs) -> None:
    if instance.saved_listing.get("status") == Post.Status.PUBLISHED:
        _refresh_on_commit(instance.tags.values_list("pk", flat=True))  # read before the tags go


def _tags_changed(sender, instance: Post, action: str, pk_set, **kwargs) -> None:
    if not instance.is_published:
        return
    if action == "pre_clear":  # the tags are gone at post_clear; outside a transaction, so is the refresh
        instance.cleared_tag_ids = list(instance.tags.values_list("pk", flat=True))
    elif action == "post_clear":
        _refresh_on_commit(instance.__dict__.pop("cleared_tag_ids", []))
    elif action in ("post_add", "post_remove"):
        _refresh_on_commit(pk_set)


def connect_signals() -> None:
    from django.db.models.signals import m2m_changed, post_save, pre_delete

    post_save.connect(_post_saved, sender=Post, dispatch_uid="vdwiki-digests-save")
    pre_delete.connect(_post_deleting, sender=Post, dispatch_uid="vdwiki-digests-delete")
    m2m_changed.connect(_tags_changed, sender=TaggedPost, dispatch_uid="vdwiki-digests-tags")
