"""Related posts and the tag digests they are read from: current after every kind of change."""

import io
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from taggit.models import Tag

from posts import changes, related, workflow
from posts.legacy.importer import import_dump
from posts.models import Post, TagDigest
from posts.related import refresh_tag_digests, related_posts

from .factories import change_post, make_post, make_posts, workflow_user
from .test_legacy_importer import post_file, write

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


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return BeautifulSoup(response.content, "html.parser")


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


@pytest.fixture
def digest_refreshes(monkeypatch):
    """The tags of each refresh of the digests a change makes from now on (None: every tag)."""
    refreshes = []

    def refresh(tag_ids=None):
        refreshes.append(tag_ids)
        refresh_tag_digests(tag_ids)

    monkeypatch.setattr(changes, "refresh_tag_digests", refresh)
    return refreshes


def test_an_edit_that_changes_nothing_others_show_does_not_remake_digests(digest_refreshes):
    post = make("this", ["rickets"])
    digest_refreshes.clear()
    change_post(post, body="New words")
    assert digest_refreshes == []


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


def test_a_reimport_that_changes_tags_changes_related_posts_with_one_refresh(tmp_path, digest_refreshes):
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

    digest_refreshes.clear()
    report = import_dump(dump)

    assert len(report.updated) == 3
    assert related_slugs("this") == ["other-2", "other-1", "other-0"]
    assert len(digest_refreshes) == 1  # not one per post
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


def test_a_preview_shows_the_posts_related_to_the_tags_of_its_revision(client):
    from posts.previews import preview_url

    make("this", ["rickets"])
    make("other", ["sunshine"], day=2)
    post = Post.objects.get(slug="this")
    workflow.edit(post, by=workflow_user(), content=workflow.Content("This", "this", "text", (), ("sunshine",)),
                  based_on=post.latest_revision)  # fmt: skip

    page = BeautifulSoup(client.get(preview_url(Post.objects.get(slug="this").latest_revision)).content, "html.parser")

    assert [a["href"] for a in page.select(".related a")] == ["/posts/other/"]
    assert related_slugs("this") == []  # readers see the live revision's tags until it is approved


def test_articles_stored_before_they_named_their_tags_get_the_ids_from_the_migration():
    import importlib

    from django.apps import apps

    make("this", ["rickets", "sunshine"])
    make("other", ["sunshine"], day=2)
    for post in Post.objects.all():
        del post.article["tag_ids"]
        post.save(update_fields=["article"])

    importlib.import_module("posts.migrations.0012_article_tag_ids").add_tag_ids(apps, None)

    assert related_slugs("this") == ["other"]
    assert sorted(Post.objects.get(slug="this").article["tag_ids"]) == sorted(
        Tag.objects.filter(name__in=["rickets", "sunshine"]).values_list("pk", flat=True)
    )


@pytest.mark.django_db(transaction=True)  # digests are remade when changes commit
def test_related_posts_share_the_most_tags(client):
    make_posts(12)
    html = page(client, "/posts/post-0/")
    shown = [a["href"] for a in html.select(".related a")]
    # post-0 has tags "tag 0" (shared with 4, 8) and "tag 0" of the %5 series (shared with 5, 10).
    assert set(shown[:4]) == {"/posts/post-4/", "/posts/post-8/", "/posts/post-5/", "/posts/post-10/"}


@pytest.mark.django_db(transaction=True)  # digests are remade when changes commit
def test_related_posts_prefer_shared_rare_tags_over_common_ones_and_newer_posts(client, monkeypatch):
    monkeypatch.setattr(related, "NEWEST_PER_TAG", 10)

    def post(slug, day, tags):
        return make_post(slug, title=slug, tags=tags, date=datetime(2020, 1, day, tzinfo=UTC))

    post("this", 1, ["rickets", "infant", "vitamin d"])
    post("both-rare-tags", 2, ["rickets", "infant"])
    post("one-rare-tag", 3, ["rickets"])
    post("unrelated", 4, ["cancer"])
    for day in range(5, 28):  # more posts with the common tag than related posts looks at
        post(f"common-{day}", day, ["vitamin d"])

    shown = [a["href"] for a in page(client, "/posts/this/").select(".related a")]

    shared_rare = ["/posts/both-rare-tags/", "/posts/one-rare-tag/"]
    assert shown == [*shared_rare, "/posts/common-27/", "/posts/common-26/", "/posts/common-25/"]


@pytest.mark.django_db(transaction=True)  # digests are remade when changes commit
def test_related_posts_are_found_by_a_rare_tag_among_many_common_ones(client, monkeypatch):
    monkeypatch.setattr(related, "NEWEST_PER_TAG", 2)

    def post(slug, year, tags):
        make_post(slug, title=slug, tags=tags, date=datetime(year, 1, 1, tzinfo=UTC))

    common = [f"common {n}" for n in range(5)]
    for n in range(3):  # the common tags are used, by newer posts, before the rare one exists
        post(f"common-{n}", 2021, common)
    post("this", 2020, [*common, "calcifediol"])
    post("other", 2019, ["calcifediol"])

    shown = [a["href"] for a in page(client, "/posts/this/").select(".related a")]

    assert shown[0] == "/posts/other/"


def test_a_tag_renamed_or_deleted_in_its_admin_keeps_related_posts_current(admin_client):
    make_post("this", tags=["rickets", "falls"], date=datetime(2021, 1, 1, tzinfo=UTC))
    make_post("other", tags=["rickets"], date=datetime(2021, 1, 2, tzinfo=UTC))
    make_post("third", tags=["falls"], date=datetime(2021, 1, 3, tzinfo=UTC))
    rickets = Tag.objects.get(name="rickets")
    response = admin_client.post(
        f"/admin/taggit/tag/{rickets.pk}/change/", {"name": "Rickets renamed", "slug": "rickets-renamed"}
    )
    assert response.status_code == 302
    assert [p.slug for p in related_posts(Post.objects.get(slug="this"))] == ["third", "other"]
    response = admin_client.post(f"/admin/taggit/tag/{rickets.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    this = Post.objects.get(slug="this")
    assert rickets.pk not in this.article["tag_ids"]
    assert [p.slug for p in related_posts(this)] == ["third"]
    assert [p.slug for p in related_posts(Post.objects.get(slug="other"))] == []


def related_on_page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return [a["href"] for a in BeautifulSoup(response.content, "html.parser").select(".related a")]


def test_a_forced_import_bringing_back_a_deleted_post_lists_it_again_among_related_posts(tmp_path, client):
    from posts import workflow

    dump = tmp_path / "dump"
    dump.mkdir()
    path = write(dump, "a.md", post_file(body="Imported.", tags=["rickets"]))
    import_dump(dump)
    make_post("other", tags=["rickets"])
    workflow.delete(Post.objects.get(slug="a-post"), by=workflow_user())
    assert related_on_page(client, "/posts/other/") == []
    path.write_text(post_file(body="Imported again.", tags=["rickets"]))

    import_dump(dump, force=True)

    assert related_on_page(client, "/posts/other/") == ["/posts/a-post/"]
    assert related_on_page(client, "/posts/a-post/") == ["/posts/other/"]


def test_a_preview_never_lists_among_related_posts_one_readers_may_not_see(client):
    from posts import workflow
    from posts.previews import preview_url

    seen = make_post("seen", tags=["rickets"], date=datetime(2021, 1, 1, tzinfo=UTC))
    for status in [Post.Status.DRAFT, Post.Status.UNPUBLISHED, Post.Status.DELETED]:
        make_post(f"hidden-{status}", tags=["rickets", "new one"], status=status)
    waiting = make_post("waiting", tags=["sunshine"])
    workflow.edit(waiting, by=workflow_user(), content=workflow.Content("Waiting", "waiting", "", (), ("rickets",)),
                  based_on=waiting.latest_revision)  # fmt: skip
    draft = workflow.create(
        by=workflow_user(), content=workflow.Content("Draft", "draft", "", (), ("rickets", "new one"))
    )

    assert related_on_page(client, preview_url(draft.latest_revision)) == [seen.get_absolute_url()]
    assert related_on_page(client, seen.get_absolute_url()) == []
