"""The public site as readers see it: every page type, its queries, its cache."""

import io
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, transaction
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import include, path
from django_redis.cache import RedisCache

from posts import related, workflow
from posts.cache import VERSION_KEY, _key, cached_page
from posts.legacy.importer import import_dump
from posts.models import Category, Post
from vdwiki.wsgi import application

from .factories import change_post, make_post, workflow_user

pytestmark = pytest.mark.django_db

SEED_SLUG = "recurrent-miscarriages-decreased-by-increased-vitamin-d-levels"
SEED_URL = f"/posts/{SEED_SLUG}/"


@pytest.fixture
def corpus(corpus_dump, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # tag digests are made once the import commits
        import_dump(corpus_dump)


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return BeautifulSoup(response.content, "html.parser")


def make_posts(count, *, start=0):
    """`count` published posts, each in two categories and with three tags."""
    categories = ("Top news", "Pregnancy", "Bones")
    for n in range(start, start + count):
        make_post(
            f"post-{n}",
            title=f"Post number {n}",
            body=f"## First\n\nText {n}\n\n## Second\n\nMore\n\n## Third\n\nEnd",
            categories=categories[n % 2 : n % 2 + 2],
            tags=[f"tag {n % 4}", f"tag {n % 5}", "vitamin d"],
            date=datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=n),
        )


def test_the_home_page_shows_newest_posts_the_featured_category_and_counts(client, corpus):
    html = page(client, "/")
    newest = [a["href"] for a in html.select(".newest .post-item h2 a")]
    expected = [p.get_absolute_url() for p in Post.objects.published().order_by("-date", "-pk")[:20]]
    assert newest == expected
    assert html.select_one(".featured h2").get_text(strip=True) == "Top news"
    assert len(html.select(".featured li")) == 5
    counts = {li.a.get_text(): int(li.select_one(".count").get_text()) for li in html.select(".sidebar .counts li")}
    assert len(counts) == 20
    for name, count in counts.items():
        assert Category.objects.get(name=name).posts.published().count() == count
    assert max(counts.values()) == max(c.posts.published().count() for c in Category.objects.all())


def test_every_list_page_shows_title_date_categories_and_summary(client, corpus):
    category = Category.objects.get(slug="pregnancy")
    for url in ("/posts/", "/posts/?page=2", f"/categories/{category.slug}/", "/tags/vitamin-d/", "/archive/2018/"):
        items = page(client, url).select(".post-item")
        assert items, url
        for item in items:
            assert item.h2.a["href"].startswith("/posts/")
            assert item.time["datetime"]
        assert any(item.select_one(".summary") for item in items), url
        assert any(item.select(".meta a") for item in items), url


def test_the_category_page_lists_only_its_posts_newest_first(client, corpus):
    category = Category.objects.get(slug="pregnancy")
    links = [a["href"] for a in page(client, "/categories/pregnancy/").select(".post-item h2 a")]
    assert links == [p.get_absolute_url() for p in category.posts.published().order_by("-date", "-pk")[:20]]


def test_the_archive_lists_months_and_each_month_its_posts(client, corpus):
    months = page(client, "/archive/").select(".archive-year li a")
    assert months
    first = months[0]["href"]
    year, month = (int(part) for part in first.strip("/").split("/")[1:])
    links = [a["href"] for a in page(client, first).select(".post-item h2 a")]
    expected = Post.objects.published().filter(date__year=year, date__month=month).order_by("-date", "-pk")
    assert links == [p.get_absolute_url() for p in expected[:20]]


IMPOSSIBLE_ARCHIVES = [
    "/archive/0/", "/archive/10000/", "/archive/99999999999999999999/", "/archive/-1/", "/archive/2020/0/",
    "/archive/2020/13/", "/archive/2020/99999999999999999999/", "/archive/2020/12/32/", "/archive/2020/-1/",
]  # fmt: skip


@pytest.mark.parametrize("url", IMPOSSIBLE_ARCHIVES)
def test_an_archive_of_an_impossible_year_or_month_is_not_found(client, url):
    make_posts(1)
    assert client.get(url).status_code == 404


def test_the_archive_of_the_first_and_last_possible_year_and_month_is_a_page(client):
    make_posts(1)
    for url in ("/archive/1/", "/archive/9999/", "/archive/1/1/", "/archive/9999/12/", "/archive/2020/01/"):
        assert client.get(url).status_code == 200, url
    assert "Post number 0" in client.get("/archive/2020/1/").content.decode()


def test_the_categories_and_tags_indexes_link_every_used_one(client, corpus):
    categories = {a["href"] for a in page(client, "/categories/").select(".counts a")}
    assert categories == {f"/categories/{c.slug}/" for c in Category.objects.filter(posts__status="published")}
    tags = page(client, "/tags/").select(".counts a")
    assert len(tags) > 100


def test_the_post_page_has_everything_a_reader_and_a_crawler_need(client, corpus):
    html = page(client, SEED_URL)
    post = Post.objects.get(slug=SEED_SLUG)

    assert html.h1.get_text() == post.title
    assert html.select_one("#post-body nav.toc a")
    assert [a.get_text() for a in html.select(".kicker a")] == ["Pregnancy"]
    assert {a.get_text() for a in html.select(".tags a")} == set(post.tags.names())
    assert len(html.select(".attachments li")) == 2
    assert "PDF" in html.select_one(".attachments").get_text()
    assert html.select(".related li")
    assert html.select_one(".prev-next a[rel=prev]") or html.select_one(".prev-next a[rel=next]")
    assert html.select_one("link[rel=canonical]")["href"] == f"http://testserver{SEED_URL}"
    assert html.select_one("meta[property='og:title']")["content"] == post.title
    assert html.select_one("link[rel=stylesheet][media=print]")
    data = json.loads(html.select_one("script[type='application/ld+json']").string)
    assert data["@type"] == "Article" and data["headline"] == post.title
    assert data["datePublished"].startswith("2024-01-29")


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


def test_previous_and_next_follow_the_dates(client):
    make_posts(3)
    html = page(client, "/posts/post-1/")
    assert html.select_one(".prev-next a[rel=prev]")["href"] == "/posts/post-0/"
    assert html.select_one(".prev-next a[rel=next]")["href"] == "/posts/post-2/"


def test_a_post_without_its_own_contents_gets_one_from_its_headings(client):
    make_posts(1)
    html = page(client, "/posts/post-0/")
    assert [a["href"] for a in html.select("nav.toc a")] == ["#first", "#second", "#third"]


PAGES = ["/", "/posts/", "/posts/?page=2", "/categories/", "/categories/pregnancy/", "/tags/", "/tags/vitamin-d/",
         "/archive/", "/archive/2020/", "/archive/2020/2/", "/posts/post-3/", "/search/?q=text+number",
         "/search/?q=text&page=2&category=pregnancy"]  # fmt: skip


@pytest.mark.parametrize("url", PAGES)
def test_a_page_runs_the_same_few_queries_whatever_the_number_of_posts(client, url, settings):
    settings.VDWIKI_CACHE_PAGES = False  # the queries of making the page

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    make_posts(45)
    few = queries()
    make_posts(90, start=45)
    many = queries()

    assert few == many
    assert many <= 8


def test_a_post_page_reads_the_post_its_related_posts_and_its_neighbours(client, settings):
    settings.VDWIKI_CACHE_PAGES = False
    make_posts(3)
    related.refresh_tag_digests()  # made when the posts' transaction commits, which a test's does not
    with CaptureQueriesContext(connection) as captured:
        html = page(client, "/posts/post-1/")
    post, digests, neighbours = (query["sql"] for query in captured.captured_queries)
    assert '"posts_post"."slug" =' in post
    assert "UNION ALL" in neighbours and "posts_tagdigest" in digests
    assert html.select_one("a[rel=prev]")["href"] == "/posts/post-0/"
    assert html.select_one("a[rel=next]")["href"] == "/posts/post-2/"
    assert [a["href"] for a in html.select(".related a")] == ["/posts/post-2/", "/posts/post-0/"]


def test_a_mistyped_url_gets_a_404_page_suggesting_the_closest_posts(client, corpus):
    response = client.get("/posts/recurent-miscariages-decreased-by-vitamin-d/")
    assert response.status_code == 404
    html = BeautifulSoup(response.content, "html.parser")
    suggested = [a["href"] for a in html.select(".suggestions a")]
    assert suggested[0] == SEED_URL
    assert len(suggested) <= 5
    assert html.select_one('meta[name="robots"]')["content"] == "noindex"
    assert html.select_one("main a[href='/search/']")


def test_the_404_page_of_an_address_without_words_suggests_nothing_and_searches_nothing(client, corpus):
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/posts/--/")
    assert response.status_code == 404
    assert not BeautifulSoup(response.content, "html.parser").select(".suggestions")
    assert len(captured) <= 3  # the post lookups (published, then readable or deleted) and the alias, no search


def test_a_legacy_url_still_redirects_and_a_deleted_post_still_answers_410(client, corpus):
    seed = Post.objects.get(slug=SEED_SLUG)
    response = client.get(f"/{seed.tiki_page_id}")
    assert (response.status_code, response["Location"]) == (301, SEED_URL)
    seed.status = Post.Status.DELETED
    seed.save()
    assert client.get(f"/{seed.tiki_page_id}").status_code == 410


def test_with_debug_on_a_legacy_url_still_redirects(client, corpus, settings):
    settings.DEBUG = True  # Django's own 404 page replaces the handler
    seed = Post.objects.get(slug=SEED_SLUG)
    response = client.get(f"/{seed.tiki_page_id}")
    assert (response.status_code, response["Location"]) == (301, SEED_URL)


def test_a_cached_page_is_served_without_a_query(client, corpus):
    client.get(SEED_URL)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(SEED_URL)
    assert response.status_code == 200
    assert len(captured) == 0


def test_a_cached_page_is_the_page_with_the_same_headers(client, corpus):
    first = client.get(SEED_URL)
    again = client.get(SEED_URL)
    assert again.content == first.content
    assert dict(again.headers) == dict(first.headers)
    assert again["X-Frame-Options"] == "DENY" and int(again["Content-Length"]) == len(again.content)


def test_only_marked_views_pages_without_cookies_are_kept(client, corpus, rf):
    for url in ("/posts/", "/robots.txt", "/admin/login/", "/posts/no-such-post/"):
        client.get(url)
    kept = {
        url
        for url in ("/posts/", "/robots.txt", "/admin/login/", "/posts/no-such-post/")
        if cache.get(_key(rf.get(url)))
    }
    assert kept == {"/posts/"}  # robots.txt and the login page are not marked; a 404 is never kept


@cached_page
def page_with_a_cookie(request):
    response = HttpResponse("hello")
    response.set_cookie("seen", "1")
    return response


urlpatterns = [path("cookie/", page_with_a_cookie), path("", include("vdwiki.urls"))]


@pytest.mark.urls(__name__)
def test_a_page_that_sets_a_cookie_is_not_kept(client, rf):
    assert client.get("/cookie/").cookies["seen"].value == "1"
    assert cache.get(_key(rf.get("/cookie/"))) is None
    assert client.get("/cookie/").cookies["seen"].value == "1"


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
    for_readers = client.get("/posts/post-0/")
    assert cache.get(_key(for_readers.wsgi_request))  # the page readers get is cached
    Post.objects.filter(slug="post-0").update(body_html="<p>Seen by staff only</p>")  # no version bump

    assert "Text 0" in client.get("/posts/post-0/").content.decode()
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


def test_posts_of_the_same_date_are_neighbours_in_the_order_they_were_added(client):
    for n in range(3):
        Post.objects.create(title=f"Same {n}", slug=f"same-{n}", status=Post.Status.PUBLISHED,
                            date=datetime(2021, 5, 5, tzinfo=UTC))  # fmt: skip
    html = page(client, "/posts/same-1/")
    assert html.select_one(".prev-next a[rel=prev]")["href"] == "/posts/same-0/"
    assert html.select_one(".prev-next a[rel=next]")["href"] == "/posts/same-2/"


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


def test_wsgi_py_is_djangos_own_application_with_nothing_in_front():
    assert isinstance(application, WSGIHandler)
