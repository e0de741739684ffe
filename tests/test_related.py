"""Related posts and the tag digests they are read from: current after every kind of change."""

from datetime import UTC, datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from taggit.models import Tag

from posts.importer import import_dump
from posts.models import Post, Revision, TagDigest
from posts.related import refresh_tag_digests, related_posts

pytestmark = pytest.mark.django_db(transaction=True)  # digests are remade when changes commit


def make(slug, tags, *, day=1, status=Post.Status.PUBLISHED):
    post = Post.objects.create(title=slug.title(), slug=slug, status=status, date=datetime(2021, 3, day, tzinfo=UTC))
    post.tags.set(tags)
    return post


def digests() -> dict:
    return {d.tag_id: (d.published, d.newest) for d in TagDigest.objects.order_by("tag_id")}


def assert_digests_are_current():
    """The digests kept up as things changed are those made from scratch now."""
    kept = digests()
    refresh_tag_digests()
    assert kept == digests()


def related_slugs(slug):
    return [other.slug for other in related_posts(Post.objects.get(slug=slug))]


def test_a_published_post_becomes_related_to_posts_sharing_its_tags():
    make("this", ["rickets"])
    assert related_slugs("this") == []
    make("other", ["rickets"], day=2)
    assert related_slugs("this") == ["other"]
    assert_digests_are_current()


def test_digests_are_remade_when_the_change_commits():
    make("this", ["rickets"])
    with transaction.atomic():
        make("other", ["rickets"])
        assert related_slugs("this") == []
    assert related_slugs("this") == ["other"]


def test_a_draft_is_never_related_and_appears_once_published():
    make("this", ["rickets"])
    draft = make("draft", ["rickets"], status=Post.Status.DRAFT)
    assert related_slugs("this") == []
    draft.status = Post.Status.PUBLISHED
    draft.save()
    assert related_slugs("this") == ["draft"]
    assert_digests_are_current()


@pytest.mark.parametrize("status", [Post.Status.UNPUBLISHED, Post.Status.DELETED, Post.Status.DRAFT])
def test_a_post_taken_off_the_site_leaves_the_related_lists(status):
    make("this", ["rickets"])
    other = make("other", ["rickets"])
    assert related_slugs("this") == ["other"]
    other.status = status
    other.save(update_fields=["status"])
    assert related_slugs("this") == []
    assert_digests_are_current()


def test_a_deleted_row_leaves_the_related_lists():
    make("this", ["rickets"])
    other = make("other", ["rickets"])
    assert related_slugs("this") == ["other"]
    other.delete()
    assert related_slugs("this") == []
    assert_digests_are_current()


def test_a_new_title_slug_or_date_shows_at_once():
    make("this", ["rickets"])
    other = Post.objects.get(pk=make("other", ["rickets"]).pk)  # as read from the database
    other.title, other.slug, other.date = "Renamed", "renamed", datetime(2022, 1, 1, tzinfo=UTC)
    other.save()
    [shown] = related_posts(Post.objects.get(slug="this"))
    assert (shown.title, shown.get_absolute_url(), shown.date) == ("Renamed", "/posts/renamed/", other.date)
    assert_digests_are_current()


def test_tags_added_removed_or_cleared_change_the_related_lists():
    make("this", ["rickets", "infants"])
    other = make("other", ["cancer"])
    other.tags.add("rickets")
    assert related_slugs("this") == ["other"]
    other.tags.remove("rickets")
    assert related_slugs("this") == []
    other.tags.add("infants")
    other.tags.clear()
    assert related_slugs("this") == []
    assert_digests_are_current()


def test_an_edit_that_changes_nothing_others_show_does_not_remake_digests(admin_user):
    post = make("this", ["rickets"])
    post.body = "New words"
    with CaptureQueriesContext(connection) as queries:
        post.save()
        post.record_revision(by=admin_user, source=Revision.Source.EDITOR)
    assert not [q for q in queries.captured_queries if "posts_tagdigest" in q["sql"]]


def test_the_digests_after_an_import_match_the_posts(corpus_dump):
    import_dump(corpus_dump)
    assert (
        TagDigest.objects.count()
        == Tag.objects.filter(posts_taggedpost_items__content_object__status="published").distinct().count()
    )
    assert_digests_are_current()
    vitamin_d = TagDigest.objects.get(tag__name__iexact="vitamin d")
    assert vitamin_d.published == Post.objects.published().filter(tags=vitamin_d.tag_id).count()


def test_related_posts_cost_one_query_whatever_the_number_of_tags_and_posts():
    tags = [f"tag {n}" for n in range(40)]
    post = make("this", tags)
    for n in range(30):
        make(f"other-{n}", tags[n : n + 5], day=1 + n % 28)
    post = Post.objects.prefetch_related("tags").get(pk=post.pk)
    with CaptureQueriesContext(connection) as queries:
        shown = related_posts(post)
    assert len(queries) == 1
    assert len(shown) == 5
