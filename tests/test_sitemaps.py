import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Max
from django.test.utils import CaptureQueriesContext
from taggit.models import Tag

from posts.legacy.importer import import_dump
from posts.models import Category, Post, Revision
from posts.sitemaps import AnnotatedSitemap

from .factories import make_post

pytestmark = pytest.mark.django_db

NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
SECTIONS = ["pages", "posts", "site-pages", "categories", "tags"]


@pytest.fixture
def corpus(corpus_dump):
    import_dump(corpus_dump)


INDEX_PAGES = [f"http://testserver{path}" for path in ("/", "/posts/", "/categories/", "/tags/", "/archive/")]


def fetch_xml(client, url, **extra):
    response = client.get(url, **extra)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/xml"
    return ET.fromstring(response.content)


def index_locations(client, **extra):
    index = fetch_xml(client, "/sitemap.xml", **extra)
    assert index.tag == f"{NS}sitemapindex"
    return [sitemap.findtext(f"{NS}loc") for sitemap in index.findall(f"{NS}sitemap")]


def all_urls(client):
    """(location, lastmod) of every URL on every page the index lists."""
    urls = []
    for location in index_locations(client):
        urlset = fetch_xml(client, location.removeprefix("http://testserver"))
        assert urlset.tag == f"{NS}urlset"
        urls += [(url.findtext(f"{NS}loc"), url.findtext(f"{NS}lastmod")) for url in urlset.findall(f"{NS}url")]
    return urls


def make_posts(count, start=0):
    first_date = datetime(2024, 1, 1, tzinfo=UTC)
    for number in range(start, start + count):
        make_post(
            f"post-{number}",
            title=f"Post {number}",
            categories=[f"Topic {number}"],
            tags=[f"topic {number}"],
            date=first_date + timedelta(days=number),
        )


def test_the_index_lists_one_page_per_section_with_lastmod(client, corpus):
    index = fetch_xml(client, "/sitemap.xml")
    sitemaps = index.findall(f"{NS}sitemap")
    assert [sitemap.findtext(f"{NS}loc") for sitemap in sitemaps] == [
        f"http://testserver/sitemap-{section}.xml" for section in SECTIONS
    ]
    newest_revision = Post.objects.published().aggregate(newest=Max("live_revision__created"))["newest"]
    lastmods = {sitemap.findtext(f"{NS}loc"): sitemap.findtext(f"{NS}lastmod") for sitemap in sitemaps}
    assert datetime.fromisoformat(lastmods["http://testserver/sitemap-posts.xml"]) == newest_revision


def test_the_sitemap_lists_every_published_post_exactly_once_with_its_live_revision_date(client, corpus):
    draft, deleted, edited = Post.objects.published().order_by("pk")[:3]
    Revision.objects.filter(pk=edited.live_revision_id).update(created=datetime(2030, 5, 6, 7, 8, tzinfo=UTC))
    Post.objects.filter(pk=draft.pk).update(status=Post.Status.DRAFT)
    Post.objects.filter(pk=deleted.pk).update(status=Post.Status.DELETED)
    urls = all_urls(client)
    posts = {
        f"http://testserver{post.get_absolute_url()}": f"{post.live_revision.created:%Y-%m-%d}"
        for post in Post.objects.published().select_related("live_revision")
    }
    post_urls = [(location, lastmod) for location, lastmod in urls if location.startswith("http://testserver/posts/")]
    post_urls.remove(("http://testserver/posts/", f"{Post.objects.published().latest('date').date:%Y-%m-%d}"))
    assert len(posts) == Post.objects.count() - 2
    assert sorted(post_urls) == sorted(posts.items())
    assert (f"http://testserver{edited.get_absolute_url()}", "2030-05-06") in post_urls
    locations = [location for location, _ in urls]
    assert f"http://testserver{draft.get_absolute_url()}" not in locations
    assert f"http://testserver{deleted.get_absolute_url()}" not in locations
    assert not [location for location, count in Counter(locations).items() if count > 1]


def test_the_sitemap_lists_home_the_indexes_and_every_category_and_tag_page(client, corpus):
    urls = dict(all_urls(client))
    newest = f"{Post.objects.published().aggregate(newest=Max('date'))['newest']:%Y-%m-%d}"
    for page in INDEX_PAGES:
        assert urls[page] == newest
    for category in Category.objects.shown():
        posts = Post.objects.published().filter(categories=category)
        assert urls[f"http://testserver/categories/{category.slug}/"] == f"{posts.latest('date').date:%Y-%m-%d}"
    for tag in Tag.objects.all():
        posts = Post.objects.published().filter(tags=tag)
        assert urls[f"http://testserver/tags/{tag.slug}/"] == f"{posts.latest('date').date:%Y-%m-%d}"
    categories = Category.objects.shown().count()  # the corpus's "Admin Only" is hidden
    assert len(urls) == len(INDEX_PAGES) + Post.objects.count() + categories + Tag.objects.count()


def test_a_category_or_tag_without_published_posts_is_left_out(client, corpus):
    Category.objects.create(name="Empty")
    Tag.objects.create(name="empty", slug="empty")
    Post.objects.filter(slug="recurrent-miscarriages-decreased-by-increased-vitamin-d-levels").update(
        status=Post.Status.DRAFT
    )
    locations = dict(all_urls(client))
    assert "http://testserver/categories/empty/" not in locations
    assert "http://testserver/tags/empty/" not in locations
    assert "http://testserver/tags/recurrent-miscarriage/" not in locations
    assert "http://testserver/tags/pregnancy/" in locations


def test_a_small_limit_splits_the_sitemap_into_several_pages_that_list_every_post_once(client, corpus, monkeypatch):
    monkeypatch.setattr(AnnotatedSitemap, "limit", 50)
    locations = index_locations(client)
    published = Post.objects.published().count()
    pages = -(-published // 50)
    assert pages > 1
    assert [location for location in locations if "sitemap-posts" in location] == [
        "http://testserver/sitemap-posts.xml",
        *(f"http://testserver/sitemap-posts.xml?p={page}" for page in range(2, pages + 1)),
    ]
    per_page = [len(fetch_xml(client, f"/sitemap-posts.xml?p={page}")) for page in range(1, pages + 1)]
    assert per_page[:-1] == [50] * (pages - 1)
    post_urls = [
        location for location, _ in all_urls(client) if "/posts/" in location and location != "http://testserver/posts/"
    ]
    assert len(post_urls) == len(set(post_urls)) == published
    assert client.get(f"/sitemap-posts.xml?p={pages + 1}").status_code == 404


def test_urls_take_the_scheme_and_host_of_the_request(client, db, settings):
    settings.ALLOWED_HOSTS = ["vitamindwiki.test"]
    make_posts(1)
    locations = index_locations(client, secure=True, HTTP_HOST="vitamindwiki.test")
    assert locations[0] == "https://vitamindwiki.test/sitemap-pages.xml"
    urlset = fetch_xml(client, "/sitemap-posts.xml", secure=True, HTTP_HOST="vitamindwiki.test")
    assert urlset.findtext(f"{NS}url/{NS}loc") == "https://vitamindwiki.test/posts/post-0/"


def test_an_unknown_section_or_page_answers_404(client, db):
    assert client.get("/sitemap-nothing.xml").status_code == 404
    assert client.get("/sitemap-posts.xml?p=x").status_code == 404


def test_an_empty_site_has_a_valid_sitemap(client, db):
    assert index_locations(client) == [f"http://testserver/sitemap-{section}.xml" for section in SECTIONS]
    assert [location for location, _ in all_urls(client)] == INDEX_PAGES


@pytest.mark.parametrize("url", ["/sitemap.xml", *(f"/sitemap-{section}.xml" for section in SECTIONS)])
def test_a_sitemap_page_makes_as_many_queries_for_50_posts_as_for_5(client, db, url, settings):
    settings.VDWIKI_CACHE_PAGES = False  # the queries of making the page
    counts = []
    for start, count in ((0, 5), (5, 45)):
        make_posts(count, start)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(queries))
    # The index: a lastmod aggregate and a count a section (the pages section counts a list).
    # A section page: a count and the page (the pages section: its lastmod aggregate only; the site
    # pages', none here: its count only).
    expected = {"/sitemap.xml": 9, "/sitemap-pages.xml": 1, "/sitemap-site-pages.xml": 1}.get(url, 2)
    assert counts == [expected, expected]


def test_robots_txt_keeps_crawlers_out_of_admin_and_search_and_points_at_the_sitemap(client, settings):
    settings.ALLOWED_HOSTS = ["vitamindwiki.test"]
    response = client.get("/robots.txt", secure=True, HTTP_HOST="vitamindwiki.test")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain"
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    assert {"Disallow: /admin/", "Disallow: /markdownx/", "Disallow: /search/"} <= set(lines)
    assert not [
        line
        for line in lines
        if line.startswith("Disallow:")
        and line not in ("Disallow: /admin/", "Disallow: /markdownx/", "Disallow: /search/")
    ]
    assert "Sitemap: https://vitamindwiki.test/sitemap.xml" in lines


@pytest.mark.django_db(transaction=True)  # pages go stale when the change is committed
def test_a_sitemap_page_is_served_from_the_page_cache_until_a_post_is_published(client, settings):
    settings.VDWIKI_CACHE_PAGES = True
    make_posts(2)
    first = client.get("/sitemap-posts.xml")
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/sitemap-posts.xml")
    assert len(queries) == 0
    assert again.content == first.content
    make_posts(1, start=2)
    assert "http://testserver/posts/post-2/" in dict(all_urls(client))
