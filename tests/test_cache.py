"""The page cache (posts/cache.py, posts/changes.py): which pages are kept and how they are
answered, only changes readers can see make cached pages stale, and a page is kept once whatever
query parameters its view does not read."""

import io
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, transaction
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import include, path
from django_redis.cache import RedisCache
from taggit.models import Tag

from posts import workflow
from posts.cache import VERSION_KEY, cached_page, content_version
from posts.models import Alias, Attachment, Category, Post
from posts.workflow import Content
from vdwiki.wsgi import application

from .factories import change_post, make_post, make_posts, make_user, workflow_user

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


def test_a_cached_page_is_served_without_a_query(client):
    make_posts(1)
    client.get("/posts/post-0/")
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/posts/post-0/")
    assert response.status_code == 200
    assert len(captured) == 0


def test_a_cached_page_is_the_page_with_the_same_headers(client):
    make_posts(1)
    first = client.get("/posts/post-0/")
    again = client.get("/posts/post-0/")
    assert again.content == first.content
    assert dict(again.headers) == dict(first.headers)
    assert again["X-Frame-Options"] == "DENY" and int(again["Content-Length"]) == len(again.content)


def test_only_marked_views_pages_without_cookies_are_kept(client):
    make_posts(1)

    def kept(url):
        client.get(url)
        return not client.get(url).templates  # answered from the cache: nothing rendered again

    kept = {url for url in ("/posts/", "/robots.txt", "/admin/login/", "/posts/no-such-post/") if kept(url)}
    assert kept == {"/posts/"}  # robots.txt and the login page are not marked; a 404 is never kept


@cached_page
def page_with_a_cookie(request):
    response = HttpResponse("hello")
    response.set_cookie("seen", "1")
    return response


urlpatterns = [path("cookie/", page_with_a_cookie), path("", include("vdwiki.urls"))]


@pytest.mark.urls(__name__)
def test_a_page_that_sets_a_cookie_is_not_kept(client):
    assert client.get("/cookie/").cookies["seen"].value == "1"
    assert client.get("/cookie/").cookies["seen"].value == "1"  # a kept page would have lost its cookie


@pytest.mark.django_db(transaction=True)  # pages go stale when the change is committed
def test_a_change_to_a_post_shows_at_once(client, admin_user):
    make_posts(2)
    assert "Text 0" in client.get("/posts/post-0/").content.decode()
    change_post(Post.objects.get(slug="post-0"), body="Changed words")

    assert "Changed words" in client.get("/posts/post-0/").content.decode()
    assert "Changed words" in client.get("/").content.decode()


@pytest.mark.django_db(transaction=True)  # pages go stale when the change is committed
def test_an_unpublished_post_leaves_the_cached_lists_at_once(client):
    make_posts(2)
    assert "/posts/post-1/" in client.get("/posts/").content.decode()
    workflow.unpublish(Post.objects.get(slug="post-1"), by=workflow_user())

    assert "/posts/post-1/" not in client.get("/posts/").content.decode()
    assert client.get("/posts/post-1/").status_code == 404


def test_pages_answer_conditional_requests_with_304(client):
    make_posts(1)
    first = client.get("/posts/post-0/")
    assert first["ETag"] and first["Last-Modified"]

    assert client.get("/posts/post-0/", headers={"if-none-match": first["ETag"]}).status_code == 304
    assert client.get("/posts/post-0/", headers={"if-modified-since": first["Last-Modified"]}).status_code == 304
    assert client.get("/posts/post-0/", headers={"if-none-match": '"other"'}).status_code == 200


def test_staff_always_get_a_fresh_page(client, admin_client):
    make_posts(1)
    client.get("/posts/post-0/")
    Post.objects.filter(slug="post-0").update(body_html="<p>Seen by staff only</p>")  # no version bump

    assert "Text 0" in client.get("/posts/post-0/").content.decode()  # the page readers get is cached
    assert "Seen by staff only" in admin_client.get("/posts/post-0/").content.decode()


def test_a_page_is_kept_for_each_host(client, settings):
    settings.ALLOWED_HOSTS = ["one.test", "two.test"]
    make_posts(1)
    one = client.get("/posts/post-0/", HTTP_HOST="one.test").content.decode()
    two = client.get("/posts/post-0/", HTTP_HOST="two.test").content.decode()
    assert '<link rel="canonical" href="http://one.test/posts/post-0/">' in one
    assert '<link rel="canonical" href="http://two.test/posts/post-0/">' in two


def test_a_head_request_fills_the_cache_for_the_gets_after_it(client):
    make_posts(1)
    head = client.head("/posts/post-0/")
    assert head.status_code == 200 and head.content == b""
    with CaptureQueriesContext(connection) as queries:
        get = client.get("/posts/post-0/")
    assert len(queries) == 0
    assert "Text 0" in get.content.decode()


@pytest.mark.django_db(transaction=True)
def test_cached_pages_go_stale_when_a_change_is_committed_not_before(client):
    make_posts(1)
    client.get("/posts/post-0/")
    version = cache.get(VERSION_KEY)
    with transaction.atomic():
        change_post(Post.objects.get(slug="post-0"), title="A new title")
        assert cache.get(VERSION_KEY) == version  # a request now would cache the old content again
    assert cache.get(VERSION_KEY) > version
    assert "A new title" in client.get("/posts/post-0/").content.decode()


def test_a_change_made_through_another_app_server_invalidates_this_ones_pages(client, settings):
    """Two app servers share Redis: a version bump by either makes the other's pages stale."""
    location = "redis://127.0.0.1:6379/15"
    prefix = f"vdwiki-test-{uuid.uuid4().hex}"
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": location,
                                   "KEY_PREFIX": prefix}}  # fmt: skip
    make_posts(1)
    assert "Text 0" in client.get("/posts/post-0/").content.decode()
    Post.objects.filter(slug="post-0").update(body_html="<p>Edited elsewhere</p>")
    assert "Text 0" in client.get("/posts/post-0/").content.decode()  # still this server's cached page

    other_server = RedisCache(location, {"KEY_PREFIX": prefix})
    other_server.incr(VERSION_KEY)

    assert "Edited elsewhere" in client.get("/posts/post-0/").content.decode()
    other_server.clear()


def wsgi_get(url, *, method="GET", **headers):
    """`url` through vdwiki.wsgi's application, as gunicorn calls it: (status, headers, body)."""
    path, _, query = url.partition("?")
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "SERVER_NAME": "testserver",
        "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "testserver", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(), "wsgi.errors": io.StringIO(), **headers,
    }  # fmt: skip
    started = {}

    def start_response(status, response_headers):
        started.update(status=status, headers=dict(response_headers))

    # As Django's test client does: the test's transaction needs its connection kept open.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        chunks = application(environ, start_response)
        body = b"".join(chunks)
        getattr(chunks, "close", lambda: None)()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return started["status"], started["headers"], body


@pytest.fixture
def pages_rendered():
    """`wsgi_get`, and a list growing by one for each request that read the database: a page
    rendered, not answered from the cache."""
    rendered = []

    def counted_get(*args, **kwargs):
        with CaptureQueriesContext(connection) as queries:
            answer = wsgi_get(*args, **kwargs)
        if queries:
            rendered.append(1)
        return answer

    return counted_get, rendered


def test_the_page_cache_middleware_answers_a_cached_page_without_the_database_with_every_header(pages_rendered):
    get, rendered = pages_rendered
    make_posts(1)
    status, headers, body = get("/posts/post-0/")
    assert status == "200 OK" and rendered == [1]

    again = get("/posts/post-0/")

    assert again == (status, headers, body)  # every header: security headers, ETag, Last-Modified
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["ETag"]
    assert rendered == [1]


def test_the_page_cache_middleware_answers_conditional_and_head_requests(pages_rendered):
    get, rendered = pages_rendered
    make_posts(1)
    _, headers, body = get("/posts/post-0/")
    assert get("/posts/post-0/", HTTP_IF_NONE_MATCH=headers["ETag"])[0] == "304 Not Modified"
    status, head_headers, _ = get("/posts/post-0/", method="HEAD")  # the server drops the body
    assert status == "200 OK" and head_headers["ETag"] == headers["ETag"]
    assert rendered == [1]


def test_the_page_cache_leaves_logged_in_users_and_bad_hosts_to_the_rest_of_django(pages_rendered):
    get, rendered = pages_rendered
    make_posts(1)
    get("/posts/post-0/")
    get("/posts/post-0/", HTTP_COOKIE="sessionid=abc")
    assert get("/posts/post-0/", HTTP_HOST="evil.example")[0].startswith("400")
    assert rendered == [1, 1]


def related_on_server(server, path):
    answer = server.get(path)
    assert answer.status == 200, path
    return [a["href"] for a in BeautifulSoup(answer.body, "html.parser").select(".related a")]


def test_cached_pages_on_the_server_drop_a_related_post_taken_down_renamed_or_retagged(
    transactional_db, tmp_path, server_static, settings
):
    from .server import SHARED_REDIS_URL, running_server

    # This process and the server share one page cache, as app servers do in production.
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": SHARED_REDIS_URL}}
    with running_server(tmp_path, server_static, shared_cache=True) as server:
        make_post("this", tags=["rickets", "falls"], date=datetime(2021, 1, 1, tzinfo=UTC))
        other = make_post("other", tags=["rickets"], date=datetime(2021, 1, 2, tzinfo=UTC))
        third = make_post("third", tags=["falls"], date=datetime(2021, 1, 3, tzinfo=UTC))
        assert related_on_server(server, "/posts/this/") == ["/posts/third/", "/posts/other/"]
        assert related_on_server(server, "/posts/this/") == ["/posts/third/", "/posts/other/"]  # cached now

        workflow.unpublish(other, by=workflow_user())
        assert related_on_server(server, "/posts/this/") == ["/posts/third/"]
        change_post(third, slug="third-renamed")
        assert related_on_server(server, "/posts/this/") == ["/posts/third-renamed/"]
        change_post(Post.objects.get(slug="third-renamed"), tags=["sunshine"])
        assert related_on_server(server, "/posts/this/") == []
        workflow.publish(other, by=workflow_user())
        assert related_on_server(server, "/posts/this/") == ["/posts/other/"]
