"""Related posts and the tag digests they are read from: current after every kind of change."""

import io
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from taggit.models import Tag

from posts import changes, workflow
from posts.legacy.importer import import_dump
from posts.models import Post, TagDigest
from posts.related import refresh_tag_digests, related_posts

from .factories import change_post, make_post, workflow_user
from .test_importer import post_file

pytestmark = pytest.mark.django_db(transaction=True)  # digests are remade when changes commit


def make(slug, tags, *, day=1, status=Post.Status.PUBLISHED):
    return make_post(slug, title=slug.title(), tags=tags, status=status, date=datetime(2021, 3, day, tzinfo=UTC))


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
    workflow.publish(draft, by=workflow_user())
    assert related_slugs("this") == ["draft"]
    assert_digests_are_current()


@pytest.mark.parametrize("move", [workflow.unpublish, workflow.delete])
def test_a_post_taken_off_the_site_leaves_the_related_lists(move):
    make("this", ["rickets"])
    other = make("other", ["rickets"])
    assert related_slugs("this") == ["other"]
    move(other, by=workflow_user())
    assert related_slugs("this") == []
    assert_digests_are_current()


def test_a_new_title_slug_or_date_shows_at_once():
    make("this", ["rickets"])
    other = make("other", ["rickets"])
    change_post(other, title="Renamed", slug="renamed")
    other = workflow.change_details(other, by=workflow_user(), values={"date": datetime(2022, 1, 1, tzinfo=UTC)})
    [shown] = related_posts(Post.objects.get(slug="this"))
    assert (shown.title, shown.get_absolute_url(), shown.date) == ("Renamed", "/posts/renamed/", other.date)
    assert_digests_are_current()


def test_tags_added_removed_or_cleared_change_the_related_lists():
    make("this", ["rickets", "infants"])
    other = make("other", ["cancer"])
    change_post(other, tags=["cancer", "rickets"])
    assert related_slugs("this") == ["other"]
    change_post(other, tags=["cancer"])
    assert related_slugs("this") == []
    change_post(other, tags=["infants"])
    assert related_slugs("this") == ["other"]
    change_post(other, tags=[])
    assert related_slugs("this") == []
    assert_digests_are_current()


def test_an_edit_that_changes_nothing_others_show_does_not_remake_digests():
    post = make("this", ["rickets"])
    with CaptureQueriesContext(connection) as queries:
        change_post(post, body="New words")
    assert not [q for q in queries.captured_queries if "posts_tagdigest" in q["sql"]]


def test_the_digests_after_an_import_match_the_posts(corpus_dump):
    before = digests()
    import_dump(corpus_dump)
    assert before == {} and digests() != {}
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


def test_a_reimport_that_changes_tags_changes_related_posts_with_one_refresh(tmp_path):
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "this.md").write_text(post_file("this", "This", tags=["rickets"]))
    for n in range(3):
        (dump / f"other-{n}.md").write_text(post_file(f"other-{n}", f"Other {n}", tags=["cancer"]))
    import_dump(dump)
    assert related_slugs("this") == []
    for n in range(3):
        (dump / f"other-{n}.md").write_text(
            post_file(f"other-{n}", f"Renamed {n}", tags=["rickets"], date=f"2021-04-0{n + 1}")
        )

    with CaptureQueriesContext(connection) as queries:
        report = import_dump(dump)

    assert len(report.updated) == 3
    assert related_slugs("this") == ["other-2", "other-1", "other-0"]
    refreshes = [q for q in queries.captured_queries if q["sql"].startswith('DELETE FROM "posts_tagdigest"')]
    assert len(refreshes) == 1  # not one per post
    assert_digests_are_current()


def test_the_command_remakes_digests_after_a_bulk_update():
    make("this", ["rickets"])
    make("other", ["rickets"])
    Post.objects.filter(slug="other").update(status=Post.Status.UNPUBLISHED)  # no signal
    assert related_slugs("this") == ["other"]
    call_command("refresh_digests", stdout=io.StringIO())
    assert related_slugs("this") == []


def test_a_cached_page_shows_a_post_tagged_since(client, settings):
    settings.VDWIKI_CACHE_PAGES = True
    make("this", ["rickets"])
    other = make("other", ["cancer"])

    def shown():
        html = BeautifulSoup(client.get("/posts/this/").content, "html.parser")
        return [a["href"] for a in html.select(".related a")]

    assert shown() == []
    change_post(other, tags=["cancer", "rickets"])
    assert shown() == ["/posts/other/"]


def test_pages_go_stale_only_after_the_digests_are_remade(monkeypatch):
    """A page cached between the bump and the refresh would keep the old related posts."""
    make("this", ["rickets"])
    other = make("other", ["cancer"])
    seen_at_bumps = []

    def bump():
        seen_at_bumps.append(related_slugs("this"))

    monkeypatch.setattr(changes, "bump_content_version", bump)
    with transaction.atomic():
        change_post(other, tags=["cancer", "rickets"])
    assert seen_at_bumps and seen_at_bumps[-1] == ["other"]
