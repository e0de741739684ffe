"""Related posts: the published posts sharing the most of a post's rare tags, then the most of its
tags, newer first among equals.

A post page must not count the thousands of posts of a common tag ("vitamin d") at every view.
Each tag keeps a digest instead (TagDigest): how many published posts it has and its newest
NEWEST_PER_TAG of them. A page reads its tags' digests in one query; a tag whose digest holds
all its posts is a rare one. The digests change when posts do, here, in the same transaction:
a post published, unpublished or deleted, its title, slug or date changed, a tag added or
removed; the importer refreshes them all after its bulk writes.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber
from django.urls import reverse

from .models import Post, TagDigest, TaggedPost

RELATED_POSTS = 5
NEWEST_PER_TAG = 20


@dataclass(frozen=True)
class RelatedPost:
    id: int
    title: str
    slug: str
    date: datetime

    def get_absolute_url(self) -> str:
        return reverse("posts:detail", kwargs={"slug": self.slug})


def related_posts(post: Post) -> list[RelatedPost]:
    tag_ids = [tag.pk for tag in post.tags.all()]
    if not tag_ids:
        return []
    posts, shared, shared_rare = {}, Counter(), Counter()
    for published, newest in TagDigest.objects.filter(tag__in=tag_ids).values_list("published", "newest"):
        rare = published <= NEWEST_PER_TAG
        for post_id, title, slug, date in newest:
            if post_id != post.pk:
                posts.setdefault(post_id, (title, slug, date))
                shared[post_id] += 1
                shared_rare[post_id] += rare
    best = sorted(posts, key=lambda pk: (shared_rare[pk], shared[pk], posts[pk][2], pk), reverse=True)
    return [RelatedPost(pk, *posts[pk][:2], datetime.fromisoformat(posts[pk][2])) for pk in best[:RELATED_POSTS]]


def refresh_tag_digests(tag_ids: Iterable[int] | None = None) -> None:
    """Make the digests of these tags (of every tag, when None) match the posts."""
    taggings = TaggedPost.objects.filter(content_object__in=Post.objects.published())
    if tag_ids is not None:
        tag_ids = set(tag_ids)
        if not tag_ids:
            return
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
    with transaction.atomic():
        stale = TagDigest.objects.all() if tag_ids is None else TagDigest.objects.filter(tag__in=tag_ids)
        stale.delete()
        TagDigest.objects.bulk_create(digests.values(), batch_size=500)


def _post_saved(sender, instance: Post, created: bool, **kwargs) -> None:
    was_published = instance.saved_listing.get("status") == Post.Status.PUBLISHED
    if (was_published or instance.is_published) and (created or instance.saved_listing != instance.listing()):
        refresh_tag_digests(instance.tags.values_list("pk", flat=True))


def _post_deleting(sender, instance: Post, **kwargs) -> None:
    if instance.saved_listing.get("status") == Post.Status.PUBLISHED:
        instance.deleted_tag_ids = list(instance.tags.values_list("pk", flat=True))


def _post_deleted(sender, instance: Post, **kwargs) -> None:
    refresh_tag_digests(getattr(instance, "deleted_tag_ids", []))


def _tags_changed(sender, instance, action: str, pk_set, **kwargs) -> None:
    if not isinstance(instance, Post) or not instance.is_published:
        return
    if action == "pre_clear":
        instance.cleared_tag_ids = list(instance.tags.values_list("pk", flat=True))
    elif action == "post_clear":
        refresh_tag_digests(getattr(instance, "cleared_tag_ids", []))
    elif action in ("post_add", "post_remove"):
        refresh_tag_digests(pk_set)


def connect_signals() -> None:
    from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

    post_save.connect(_post_saved, sender=Post, dispatch_uid="vdwiki-digests-save")
    pre_delete.connect(_post_deleting, sender=Post, dispatch_uid="vdwiki-digests-deleting")
    post_delete.connect(_post_deleted, sender=Post, dispatch_uid="vdwiki-digests-delete")
    m2m_changed.connect(_tags_changed, sender=TaggedPost, dispatch_uid="vdwiki-digests-tags")
