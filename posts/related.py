"""Related posts: the published posts sharing the most of a post's rare tags, then the most of its
tags, newer first among equals.

A post page must not count the thousands of posts of a common tag ("vitamin d") at every view.
Each tag keeps a digest instead (TagDigest): how many published posts it has and its newest
NEWEST_PER_TAG of them. A page reads its tags' digests in one query; a tag whose digest holds
all its posts is a rare one. The digests are remade when a change to what they hold commits (a
post published, unpublished or deleted, its title, slug or date changed, a tag added or removed:
changes.refresh); the importer remakes them all after its writes, and so does
`manage.py refresh_digests`, for changes made otherwise (QuerySet.update()).
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber

from .models import Post, TagDigest, TaggedPost
from .paths import path_of

RELATED_POSTS = 5
NEWEST_PER_TAG = 20
DIGEST_LOCK = 0x7664_6967  # "vdig": PostgreSQL advisory lock taken while digests are remade


@dataclass(frozen=True)
class RelatedPost:
    id: int
    title: str
    slug: str
    date: datetime

    def get_absolute_url(self) -> str:
        return path_of("posts:detail", self.slug)


def related_posts(post: Post) -> list[RelatedPost]:
    """One query: the digests of the tags its article names (article.py). Found by their ids, not
    by joining the post's tags: the join cost an uncached page 10 % more CPU (bench/reads.py)."""
    posts, shared, shared_rare = {}, Counter(), Counter()
    digests = TagDigest.objects.filter(tag__in=post.article["tag_ids"])
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
