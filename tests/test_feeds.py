import html
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from taggit.models import Tag

from posts.feeds import absolute_urls
from posts.legacy.importer import import_dump
from posts.models import Category, Post

from .factories import make_post
from .xss import XSS_VECTORS, assert_inert

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
SEED_SLUG = "recurrent-miscarriages-decreased-by-increased-vitamin-d-levels"


@pytest.fixture
def corpus(corpus_dump):
    import_dump(corpus_dump)


def newest(queryset, count=20):
    return list(queryset.order_by("-date", "-pk")[:count])


def absolute(post):
    return f"http://testserver{post.get_absolute_url()}"


def rss_items(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    channel = ET.fromstring(response.content).find("channel")
    return channel, channel.findall("item")


def atom_entries(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = ET.fromstring(response.content)
    return feed, feed.findall(f"{ATOM}entry")


def make_posts(count, start=0):
    """`count` published posts with a revision, each in its own category and tag besides shared ones."""
    first_date = datetime(2024, 1, 1, tzinfo=UTC)
    for number in range(start, start + count):
        make_post(
            f"post-{number}",
            title=f"Post {number}",
            body=f"Text {number}, see [the first post](/posts/post-0/).",
            categories=["Pregnancy", f"Topic {number}"],
            tags=["Vitamin D", f"topic {number}"],
            date=first_date + timedelta(days=number),
        )


def test_the_site_feed_lists_the_twenty_newest_published_posts_newest_first(client, corpus):
    channel, items = rss_items(client, "/feed/")
    assert channel.findtext("title") == "VitaminDWiki"
    assert channel.findtext("link") == "http://testserver/"
    assert [item.findtext("link") for item in items] == [absolute(post) for post in newest(Post.objects.published())]


def test_the_atom_feed_lists_the_same_posts_as_the_rss_feed(client, corpus):
    feed, entries = atom_entries(client, "/feed/atom/")
    assert feed.findtext(f"{ATOM}title") == "VitaminDWiki"
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == "http://testserver/feed/atom/"
    links = [entry.find(f"{ATOM}link").get("href") for entry in entries]
    assert links == [absolute(post) for post in newest(Post.objects.published())]


def test_drafts_and_deleted_posts_are_left_out_of_the_feeds(client, corpus):
    draft, deleted, *_ = newest(Post.objects.published())
    Post.objects.filter(pk=draft.pk).update(status=Post.Status.DRAFT)
    Post.objects.filter(pk=deleted.pk).update(status=Post.Status.DELETED)
    _, items = rss_items(client, "/feed/")
    links = [item.findtext("link") for item in items]
    assert len(links) == 20
    assert absolute(draft) not in links
    assert absolute(deleted) not in links
    assert links == [absolute(post) for post in newest(Post.objects.published())]


def test_an_rss_item_carries_title_link_dates_summary_full_content_and_categories(client, corpus):
    post = Post.objects.get(slug=SEED_SLUG)
    Post.objects.filter(pk=post.pk).update(date=datetime(2099, 1, 1, tzinfo=UTC))
    _, items = rss_items(client, "/feed/")
    item = items[0]
    assert html.unescape(item.findtext("title")) == post.title
    assert item.findtext("link") == item.findtext("guid") == absolute(post)
    assert parsedate_to_datetime(item.findtext("pubDate")) == datetime(2099, 1, 1, tzinfo=UTC)
    assert html.unescape(item.findtext("description")) == post.summary
    assert item.findtext(CONTENT) == absolute_urls(post.body_html, absolute(post))
    names = [element.text for element in item.findall("category")]
    assert names[0] == "Pregnancy"
    assert {name.casefold() for name in names} == {
        *(category.name.casefold() for category in post.categories.all()),
        *(tag.name.casefold() for tag in post.tags.all()),
    }
    assert len(names) == len({name.casefold() for name in names})


def test_a_summary_with_a_literal_less_than_sign_reads_the_same_in_a_feed_reader(client, corpus):
    post = Post.objects.filter(summary__contains="<").first()  # "<30 ng/mL" and the like, from the corpus
    Post.objects.filter(pk=post.pk).update(date=datetime(2099, 1, 1, tzinfo=UTC))
    _, items = rss_items(client, "/feed/")
    _, entries = atom_entries(client, "/feed/atom/")
    # Readers take both as HTML: the "<" must arrive as "&lt;", not as the start of a tag.
    for description in (items[0].findtext("description"), entries[0].findtext(f"{ATOM}summary")):
        assert BeautifulSoup(description, "html.parser").get_text() == post.summary


def test_a_summary_its_editor_wrote_is_the_description_of_its_entry_in_both_feeds(client, db):
    written = "Adults given vitamin D slept longer & better (<0.05)."
    make_post("sleep-trial", body="Nutrients 2024, 16, 1754.\n\nA long study of sleep.", summary=written)
    _, items = rss_items(client, "/feed/")
    _, entries = atom_entries(client, "/feed/atom/")
    for description in (items[0].findtext("description"), entries[0].findtext(f"{ATOM}summary")):
        assert BeautifulSoup(description, "html.parser").get_text() == written


def test_an_atom_entry_is_updated_when_its_live_revision_was_made(client, corpus):
    feed, entries = atom_entries(client, "/feed/atom/")
    post = newest(Post.objects.published().select_related("live_revision"))[0]
    entry = entries[0]
    assert entry.findtext(f"{ATOM}title") == post.title
    assert datetime.fromisoformat(entry.findtext(f"{ATOM}published")) == post.date
    assert datetime.fromisoformat(entry.findtext(f"{ATOM}updated")) == post.live_revision.created
    assert entry.find(f"{ATOM}summary").get("type") == "html"
    assert entry.find(f"{ATOM}content").get("type") == "html"


def test_categories_and_tags_are_named_once_whatever_their_capitals(client, db):
    make_posts(1)
    _, items = rss_items(client, "/feed/")
    names = [element.text for element in items[0].findall("category")]
    assert names == ["Pregnancy", "Topic 0", "Vitamin D"]


def test_a_post_with_an_author_names_them_in_the_atom_feed(client, db):
    make_posts(1)
    author = get_user_model().objects.create_user("ada", first_name="Ada", last_name="Lovelace")
    Post.objects.update(author=author)
    _, entries = atom_entries(client, "/feed/atom/")
    assert entries[0].findtext(f"{ATOM}author/{ATOM}name") == "Ada Lovelace"


def test_full_content_links_are_absolute_in_both_feeds(client, db):
    make_posts(2)
    _, items = rss_items(client, "/feed/")
    assert '<a href="http://testserver/posts/post-0/"' in items[0].findtext(CONTENT)
    _, entries = atom_entries(client, "/feed/atom/")
    assert '<a href="http://testserver/posts/post-0/"' in entries[0].findtext(f"{ATOM}content")


def test_absolute_urls_resolves_paths_and_fragments_and_keeps_other_urls():
    base = "https://example.org/posts/a/"
    body = (
        '<p>See <a href="/posts/b/">b</a>, <a href="#methods">methods</a>, '
        '<a href="https://doi.org/10.1/x?a=1&amp;b=2">doi</a>, <a href="mailto:x@example.org">mail</a>.</p>'
        '<img alt="chart" src="/media/attachments/chart.png"> and href="/not-a-link/" in text'
    )
    assert absolute_urls(body, base) == (
        '<p>See <a href="https://example.org/posts/b/" rel="noopener noreferrer">b</a>, '
        '<a href="https://example.org/posts/a/#methods" rel="noopener noreferrer">methods</a>, '
        '<a href="https://doi.org/10.1/x?a=1&amp;b=2" rel="noopener noreferrer">doi</a>, '
        '<a href="mailto:x@example.org" rel="noopener noreferrer">mail</a>.</p>'
        '<img alt="chart" src="https://example.org/media/attachments/chart.png"> and href="/not-a-link/" in text'
    )


def test_a_category_feed_holds_only_that_categorys_posts(client, corpus):
    category = Category.objects.get(slug="top-news")
    channel, items = rss_items(client, "/categories/top-news/feed/")
    assert channel.findtext("title") == "VitaminDWiki — Top news"
    assert channel.findtext("link") == "http://testserver/categories/top-news/"
    expected = newest(Post.objects.published().filter(categories=category))
    assert len(expected) == 20
    assert [item.findtext("link") for item in items] == [absolute(post) for post in expected]
    for item in items:
        assert "Top news" in [element.text for element in item.findall("category")]


def test_a_small_category_feed_lists_all_its_posts(client, corpus):
    category = Category.objects.get(slug="stroke")
    feed, entries = atom_entries(client, "/categories/stroke/feed/atom/")
    assert feed.findtext(f"{ATOM}title") == "VitaminDWiki — Stroke"
    expected = newest(Post.objects.published().filter(categories=category))
    assert 0 < len(expected) < 20
    assert [entry.find(f"{ATOM}link").get("href") for entry in entries] == [absolute(post) for post in expected]


def test_a_tag_feed_holds_only_that_tags_posts(client, corpus):
    tag = Tag.objects.get(slug="blood-levels")
    for url in ("/tags/blood-levels/feed/", "/tags/blood-levels/feed/atom/"):
        response = client.get(url)
        assert response.status_code == 200
        assert "<title>VitaminDWiki — tagged “blood levels”</title>" in response.content.decode()
    _, items = rss_items(client, "/tags/blood-levels/feed/")
    expected = newest(Post.objects.published().filter(tags=tag))
    assert [item.findtext("link") for item in items] == [absolute(post) for post in expected]


@pytest.mark.parametrize(
    "url",
    ["/categories/no-such/feed/", "/categories/no-such/feed/atom/", "/tags/no-such/feed/", "/tags/no-such/feed/atom/"],
)
def test_an_unknown_category_or_tag_feed_answers_404(client, db, url):
    assert client.get(url).status_code == 404


def test_an_empty_site_still_has_valid_feeds(client, db):
    _, items = rss_items(client, "/feed/")
    assert items == []
    _, entries = atom_entries(client, "/feed/atom/")
    assert entries == []


FEED_URLS = [
    "/feed/",
    "/feed/atom/",
    "/categories/pregnancy/feed/",
    "/categories/pregnancy/feed/atom/",
    "/tags/vitamin-d/feed/",
    "/tags/vitamin-d/feed/atom/",
]


@pytest.mark.parametrize("url", FEED_URLS)
def test_a_feed_makes_as_many_queries_for_50_posts_as_for_5(client, db, url, settings):
    settings.VDWIKI_CACHE_PAGES = False  # the queries of making the page
    counts = []
    for start, count in ((0, 5), (5, 45)):
        make_posts(count, start)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(queries))
    # The posts with their author; their categories; their tags; and first the category or tag.
    expected = 3 if url.startswith("/feed/") else 4
    assert counts == [expected, expected]


@pytest.mark.django_db(transaction=True)  # pages go stale when the change is committed
def test_a_feed_is_served_from_the_page_cache_until_a_post_is_published(client, settings):
    settings.VDWIKI_CACHE_PAGES = True
    make_posts(2)
    first = client.get("/feed/atom/")
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/feed/atom/")
    assert len(queries) == 0
    assert again.content == first.content
    assert again["Content-Type"] == "application/atom+xml; charset=utf-8"
    make_posts(1, start=2)
    _, entries = atom_entries(client, "/feed/atom/")
    assert entries[0].find(f"{ATOM}link").get("href") == "http://testserver/posts/post-2/"


def entry_html(client, url):
    """The HTML of each entry of a feed as a feed reader takes it: summary and full content."""
    response = client.get(url)
    assert response.status_code == 200, url
    root = ET.fromstring(response.content)
    if root.tag == f"{ATOM}feed":
        return [
            entry.findtext(f"{ATOM}{name}") or ""
            for entry in root.iter(f"{ATOM}entry")
            for name in ("summary", "content")
        ]
    return [item.findtext(name) or "" for item in root.iter("item") for name in ("description", CONTENT)]


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_an_xss_vector_is_inert_in_every_feed_and_on_the_page(client, db, vector):
    # A link after the vector: a quote further on is what the old regex over HTML needed to misfire.
    body = f"before\n\n{vector}\n\n[after](/posts/after/)"
    make_post("hostile", title="Hostile", body=body, categories=["Pregnancy"], tags=["Vitamin D"])

    for url in FEED_URLS:
        html_of_entries = entry_html(client, url)
        assert len(html_of_entries) == 2, url
        assert "after" in html_of_entries[1], url
        for entry in html_of_entries:
            assert_inert(entry)
    page = BeautifulSoup(client.get("/posts/hostile/").content, "html.parser")
    assert_inert(str(page.find(id="post-body")))
