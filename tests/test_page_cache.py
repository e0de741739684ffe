"""The page cache (posts/cache.py, posts/changes.py): only changes readers can see make
cached pages stale, and a page is kept once whatever query parameters its view does not read."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from taggit.models import Tag

from posts import workflow
from posts.cache import content_version
from posts.models import Alias, Attachment, Category, Post
from posts.workflow import Content

from .factories import make_user, workflow_user

pytestmark = pytest.mark.django_db


@dataclass
class Site:
    author: object
    moderator: object
    live: Post
    draft: Post
    unpublished: Post
    category: Category


def write(author, slug: str) -> Post:
    return workflow.create(by=author, content=Content(slug.title(), slug, "Words.", ("Trials",), ("calcifediol",)))


def published(author, moderator, slug: str) -> Post:
    post = write(author, slug)
    workflow.submit(post, by=author)
    return workflow.approve(post, by=moderator)


@pytest.fixture
def site(roles, django_capture_on_commit_callbacks):
    author, moderator = make_user("Author", "author"), make_user("Moderator", "moderator")
    category = Category.objects.create(name="Trials")
    with django_capture_on_commit_callbacks(execute=True):
        live = published(author, moderator, "live")
        unpublished = workflow.unpublish(published(author, moderator, "gone-quiet"), by=moderator)
        draft = write(author, "draft")
        live.attachments.add(Attachment.objects.create(legacy_url="https://x.example/live.png"))
    return Site(author, moderator, live, Post.objects.get(pk=draft.pk), unpublished, category)


def edit(post: Post, by, **changes) -> None:
    post = Post.objects.get(pk=post.pk)
    content = Content.of(post.latest_revision)
    workflow.edit(post, by=by, content=Content(**{**content.__dict__, **changes}), based_on=post.latest_revision)


def scheduled(site: Site) -> Post:
    return workflow.schedule(in_review(site), by=site.moderator, at=datetime.now(UTC) + timedelta(days=9))


def waiting_change(site: Site, *, submit: bool = False) -> Post:
    edit(site.live, site.author, title="Waiting title", body="Waiting.")
    if submit:
        workflow.submit(site.live, by=site.author)
    return Post.objects.get(pk=site.live.pk)


def rename(item, **names) -> None:
    for name, value in names.items():
        setattr(item, name, value)
    item.save()


def move_alias(site: Site, from_post: Post, to_post: Post) -> None:
    alias = Alias.objects.get(post=from_post)
    alias.post = to_post
    workflow.change_aliases(by=site.moderator, save=[alias])


def add_alias(site: Site, path: str, post: Post) -> None:
    workflow.change_aliases(by=site.moderator, save=[Alias(path=path, post=post)])


def remove_aliases(site: Site, post: Post) -> None:
    workflow.change_aliases(by=site.moderator, delete=Alias.objects.filter(post=post))


def attach(site: Site, url: str, post: Post) -> None:
    workflow.change_attachment(Attachment.objects.create(legacy_url=url), by=site.moderator, posts=[post])


def redate(site: Site) -> None:
    workflow.change_details(site.live, by=site.moderator, values={"date": datetime(2020, 1, 1, tzinfo=UTC)})


def change_attachment(site: Site) -> None:
    workflow.change_attachment(Attachment.objects.get(posts=site.live), by=site.moderator)


def delete_attachment(site: Site) -> None:
    workflow.delete_attachments(Attachment.objects.filter(posts=site.live), by=workflow_user())


def published_change(site: Site, **changes) -> None:
    edit(site.live, site.moderator, **changes)
    workflow.publish(site.live, by=site.moderator)


def in_review(site: Site) -> Post:
    workflow.submit(site.draft, by=site.author)
    return Post.objects.get(pk=site.draft.pk)


UNSEEN_CHANGES = {
    "a new draft": lambda s: write(s.author, "another-draft"),
    "a draft saved again": lambda s: edit(s.draft, s.author, body="New words."),
    "a draft's new tags": lambda s: edit(s.draft, s.author, tags=("brand new tag", "calcifediol")),
    "a draft's tags removed": lambda s: edit(s.draft, s.author, tags=()),
    "a draft's categories removed": lambda s: edit(s.draft, s.author, categories=()),
    "an alias of a draft": lambda s: add_alias(s, "/Old+draft+title", s.draft),
    "an alias of an unpublished post": lambda s: add_alias(s, "/Old+quiet+title", s.unpublished),
    "an unpublished post's alias deleted": lambda s: remove_aliases(s, s.unpublished),
    "an attachment set on a draft": lambda s: attach(s, "https://x.example/a.png", s.draft),
    "an upload": lambda s: Attachment.objects.create(file="attachments/uploads/a.png"),
    "a draft submitted": lambda s: in_review(s),
    "a post scheduled": lambda s: scheduled(s),
    "a post sent back": lambda s: workflow.send_back(in_review(s), by=s.moderator, comment="More, please."),
    "a waiting change to a live post": lambda s: waiting_change(s),
    "a waiting change submitted": lambda s: waiting_change(s, submit=True),
    "a draft deleted from the database": lambda s: s.draft.delete(),
}  # fmt: skip

SEEN_CHANGES = {
    "a post published": lambda s: workflow.approve(in_review(s), by=s.moderator),
    "a waiting change going live": lambda s: workflow.publish(waiting_change(s, submit=True), by=s.moderator),
    "a live post unpublished": lambda s: workflow.unpublish(s.live, by=s.moderator),
    "a live post deleted": lambda s: workflow.delete(s.live, by=s.moderator),
    "a deleted post undeleted": lambda s: workflow.undelete(workflow.delete(s.live, by=s.moderator), by=s.moderator),
    "a live post's date changed": lambda s: redate(s),
    "an alias of a live post": lambda s: add_alias(s, "/Old+live+title", s.live),
    "a live post's alias deleted": lambda s: remove_aliases(s, s.live),
    "an alias moved from a live post to a draft": lambda s: move_alias(s, s.live, s.draft),
    "an attachment set on a live post": lambda s: attach(s, "https://x.example/b.png", s.live),
    "a live post's attachment changed": lambda s: change_attachment(s),
    "a live post's attachment deleted": lambda s: delete_attachment(s),
    "a live post's categories": lambda s: published_change(s, categories=()),
    "a live post's tags": lambda s: published_change(s, tags=("calcifediol", "new live tag")),
    "a live post's tag removed": lambda s: published_change(s, tags=()),
    "a category added": lambda s: Category.objects.create(name="Bones"),
    "a category renamed": lambda s: rename(s.category, name="Clinical trials"),
    "a tag renamed": lambda s: rename(Tag.objects.get(name="calcifediol"), name="Calcifediol (25-OH-D)"),
}  # fmt: skip


def made_pages_stale(change, site, capture) -> bool:
    before = content_version()
    with capture(execute=True):
        change(site)
    return content_version() != before


@pytest.mark.parametrize("change", UNSEEN_CHANGES, ids=list(UNSEEN_CHANGES))
def test_a_change_readers_cannot_see_leaves_the_cached_pages(change, site, client, django_capture_on_commit_callbacks):
    urls = ["/", "/posts/", site.live.get_absolute_url()]
    cached = [client.get(url).content for url in urls]
    assert not made_pages_stale(UNSEEN_CHANGES[change], site, django_capture_on_commit_callbacks)
    Post.objects.filter(pk=site.live.pk).update(title="Changed behind the cache")  # no signal: only a new page shows it
    assert [client.get(url).content for url in urls] == cached


@pytest.mark.parametrize("change", SEEN_CHANGES, ids=list(SEEN_CHANGES))
def test_a_change_readers_can_see_makes_the_cached_pages_stale(change, site, django_capture_on_commit_callbacks):
    Alias.objects.create(path="/Live+old+title", post=site.live)
    assert made_pages_stale(SEEN_CHANGES[change], site, django_capture_on_commit_callbacks)


def test_query_parameters_the_page_does_not_read_get_the_cached_page(client, site):
    url = site.live.get_absolute_url()
    first = client.get("/?utm_source=newsletter")
    Post.objects.filter(pk=site.live.pk).update(title="Changed behind the cache")  # no signal: pages stay
    for page in ("/", f"/?utm_source={uuid.uuid4().hex}", f"/?utm_medium=x&fbclid={uuid.uuid4().hex}"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page).content == first.content
        assert len(queries) == 0, page
    client.get(f"{url}?ref=1")
    with CaptureQueriesContext(connection) as queries:
        assert "Changed behind the cache" in client.get(f"{url}?utm_campaign={uuid.uuid4().hex}").content.decode()
    assert len(queries) == 0


def test_query_parameters_a_page_reads_each_get_their_own_page_in_any_order(client, site):
    for n in range(25):
        published(site.author, site.moderator, f"calcifediol-{n}")
    assert client.get("/posts/?page=2").content != client.get("/posts/").content
    assert client.get("/search/?q=calcifediol&page=2").content != client.get("/search/?q=calcifediol").content
    searched = client.get("/search/?q=calcifediol&category=trials&utm_source=a")
    Post.objects.update(title="Changed behind the cache")
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/search/?utm_source=b&category=trials&q=calcifediol")
    assert again.content == searched.content and len(queries) == 0
    assert "Changed behind the cache" in client.get("/search/?q=calcifediol&category=trials&page=1").content.decode()
