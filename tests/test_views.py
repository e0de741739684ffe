"""The public pages (posts/views.py) as readers see them: every page type and its queries, the 404
page and its suggestions, and what an author writes staying text on them."""

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext

from posts import related
from posts.legacy.importer import import_dump
from posts.models import Category, Post

from .conftest import SEED_SLUG
from .factories import make_post, make_posts

pytestmark = pytest.mark.django_db

SEED_URL = f"/posts/{SEED_SLUG}/"
HOSTILE_TITLE = "</script><script>alert(1)</script><!--<script>"


@pytest.fixture
def corpus(corpus_dump, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # tag digests are made once the import commits
        import_dump(corpus_dump)


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return BeautifulSoup(response.content, "html.parser")


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


def test_a_summary_its_editor_wrote_is_what_lists_and_shared_links_show_of_a_post(client):
    written = "Adults given vitamin D slept 40 minutes longer <than> those given a placebo."
    make_post(
        "sleep-trial",
        body="Nutrients 2024, 16, 1754. https://doi.org/10.3390/nu16121754\n\nA long study of sleep.",
        categories=["Sleep"],
        tags=["Insomnia"],
        summary=written,
    )
    year = Post.objects.get().date.year
    for url in ("/", "/posts/", "/categories/sleep/", "/tags/insomnia/", f"/archive/{year}/"):
        summaries = [p.get_text() for p in page(client, url).select(".post-item .summary")]
        assert summaries == [written], url
    html = page(client, "/posts/sleep-trial/")
    assert html.select_one('meta[name="description"]')["content"] == written
    assert html.select_one('meta[property="og:description"]')["content"] == written
    assert json.loads(html.select_one('script[type="application/ld+json"]').string)["description"] == written


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


def test_the_archive_is_a_year_a_row_of_its_twelve_months_with_their_counts(client):
    for n, (year, month) in enumerate([(2024, 3), (2024, 3), (2024, 11), (2019, 1)]):
        make_post(f"post-{n}", date=datetime(year, month, 5, tzinfo=UTC))
    make_post("a-draft", date=datetime(2021, 6, 1, tzinfo=UTC), status=Post.Status.DRAFT)

    years = page(client, "/archive/").select(".archive-year")

    assert [" ".join(year.h2.get_text().split()) for year in years] == ["2024 3", "2019 1"]
    months = years[0].select(".archive-months li")
    assert [month.get_text(" ", strip=True) for month in months][:3] == ["Jan", "Feb", "Mar 2"]
    assert len(months) == 12 and [a["href"] for a in years[0].select("a[aria-label]")] == [
        "/archive/2024/3/",
        "/archive/2024/11/",
    ]
    assert years[0].select_one("a[aria-label]")["aria-label"] == "Mar 2024: 2 posts"


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
    shown = Category.objects.shown().filter(posts__status="published")
    assert categories == {f"/categories/{c.slug}/" for c in shown}
    assert Category.objects.filter(posts__status="published", hidden=True).exists()  # the corpus's "Admin Only"
    tags = page(client, "/tags/").select(".counts a")
    assert len(tags) > 100


def test_the_tags_index_is_a_to_z_whatever_the_case_or_accents_under_initials(client):
    make_post("a", tags=["vitamin D", "Vitamin K2", "Écho", "echo chamber", "apple", "Banana", "25(OH)D", "Zinc"])
    make_post("draft", tags=["Hidden draft tag"], status=Post.Status.DRAFT)

    html = page(client, "/tags/")

    groups = {
        group.h2.get_text(): [a.get_text() for a in group.select(".counts a")] for group in html.select(".tag-group")
    }
    assert groups == {
        "#": ["25(OH)D"],
        "A": ["apple"],
        "B": ["Banana"],
        "E": ["Écho", "echo chamber"],
        "V": ["vitamin D", "Vitamin K2"],
        "Z": ["Zinc"],
    }
    index = html.select_one("nav.initials")
    assert [a["href"] for a in index.select("a")] == [
        "#tags-%23",
        "#tags-A",
        "#tags-B",
        "#tags-E",
        "#tags-V",
        "#tags-Z",
    ]
    assert len(index.select("span")) == 27 - 6  # the initials no tag starts with, not links
    assert all(html.select_one(f"[id='{a['href'][1:].replace('%23', '#')}']") for a in index.select("a"))


def test_a_hidden_category_is_never_shown_to_readers_yet_its_posts_are(client, django_capture_on_commit_callbacks):
    make_post("filed", title="Zinc in pregnancy", body="Zinc.", categories=["Admin Only", "Pregnancy"], tags=["Zinc"])
    make_post("other", title="Meta notes", body="Zinc.", categories=["Meta"])
    assert Category.objects.get(name="Admin Only").hidden  # hidden when made (VDWIKI_HIDDEN_CATEGORIES)
    meta = Category.objects.get(name="Meta")
    assert not meta.hidden and client.get("/categories/meta/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):  # hidden in the admin: pages follow
        meta.hidden = True
        meta.save()

    for slug in ("admin-only", "meta"):
        for url in (f"/categories/{slug}/", f"/categories/{slug}/feed/", f"/categories/{slug}/feed/atom/"):
            assert client.get(url).status_code == 404, url
    shown = "\n".join(
        client.get(url).content.decode()
        for url in ("/", "/posts/", "/categories/", "/posts/filed/", "/posts/other/", "/feed/", "/feed/atom/",
                    "/sitemap-categories.xml", "/search/?q=zinc", "/tags/zinc/", "/archive/")
    )  # fmt: skip
    assert "Admin Only" not in shown and "admin-only" not in shown and "/categories/meta/" not in shown
    assert "Pregnancy" in page(client, "/posts/filed/").select_one(".kicker").get_text()
    assert page(client, "/posts/other/").select_one(".kicker") is None
    searched = client.get("/search/", {"q": "zinc", "category": "admin-only"}).content.decode()
    assert "There is no category “admin-only”: searching all categories." in searched  # as for any unknown one


def test_recently_updated_lists_the_posts_whose_change_went_live_latest_first_also_as_a_feed(
    client, django_capture_on_commit_callbacks
):
    import time_machine

    from .factories import change_post

    make_post("never-changed", date=datetime(2024, 5, 1, tzinfo=UTC))
    from_dump = make_post("from-dump", date=datetime(2020, 1, 1, tzinfo=UTC), lastmod=datetime(2021, 6, 1, tzinfo=UTC))
    changed = make_post("changed", date=datetime(2019, 1, 1, tzinfo=UTC))
    make_post("a-draft", status=Post.Status.DRAFT, lastmod=datetime(2025, 1, 1, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 3, 2, 10, tzinfo=UTC), tick=False):
        change_post(changed, body="Corrected.")

    html = page(client, "/recent/")
    assert [a["href"] for a in html.select(".post-item h2 a")] == ["/posts/changed/", "/posts/from-dump/"]
    meta = " ".join(html.select_one(".post-item .meta").get_text().split())
    assert meta == "Updated 2 Mar 2026 · first published 1 Jan 2019"
    assert html.select_one('link[title="VitaminDWiki — recently updated"]')["href"] == "/recent/feed/"
    assert page(client, "/").select_one('footer a[href="/recent/"]')

    feed = ET.fromstring(client.get("/recent/feed/").content)
    items = feed.findall("channel/item")
    assert [item.findtext("link") for item in items] == [
        "http://testserver/posts/changed/",
        "http://testserver/posts/from-dump/",
    ]
    guid_before = items[1].findtext("guid")
    with (
        time_machine.travel(datetime(2026, 4, 1, tzinfo=UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        change_post(from_dump, body="Updated again.")
    items = ET.fromstring(client.get("/recent/feed/").content).findall("channel/item")
    assert items[0].findtext("link") == "http://testserver/posts/from-dump/"
    assert items[0].findtext("guid") != guid_before  # a new change is a new item for feed readers


def test_lists_are_numbered_pages_with_the_first_and_the_last(client, monkeypatch):
    from posts import views

    monkeypatch.setattr(views.PostListView, "paginate_by", 2)
    make_posts(40)  # twenty pages

    pages = page(client, "/posts/?page=10").select_one("nav.pagination")

    assert [item.get_text() for item in pages.select(".page-numbers li")] == [
        "1", "…", "8", "9", "10", "11", "12", "…", "20"
    ]  # fmt: skip
    assert pages.select_one("[aria-current=page]").get_text() == "10"
    assert [a["href"] for a in pages.select(".page-numbers a")] == [f"?page={n}" for n in (1, 8, 9, 11, 12, 20)]
    assert (pages.select_one("a[rel=prev]")["href"], pages.select_one("a[rel=next]")["href"]) == ("?page=9", "?page=11")
    last = page(client, "/posts/?page=20").select_one("nav.pagination")
    assert last.select_one("a[rel=next]") is None and last.select_one("[aria-current=page]").get_text() == "20"


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
    client.get(url)  # the footer's site pages, read once for the content version (site_pages.py)
    few = queries()
    make_posts(90, start=45)
    many = queries()

    assert few == many
    assert many <= 8


def test_a_post_page_reads_the_post_its_related_posts_and_its_neighbours(client, settings, django_assert_num_queries):
    settings.VDWIKI_CACHE_PAGES = False
    make_posts(3)
    related.refresh_tag_digests()  # made when the posts' transaction commits, which a test's does not
    # The post, its tags' digests, both neighbours at once; the footer's site pages, read once for
    # the content version (site_pages.py).
    with django_assert_num_queries(3 + 1):
        html = page(client, "/posts/post-1/")
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


def test_the_404_page_of_an_address_without_words_suggests_nothing_and_searches_nothing(client):
    make_posts(3)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/posts/--/")
    assert response.status_code == 404
    assert not BeautifulSoup(response.content, "html.parser").select(".suggestions")
    # The post lookups (published, then readable or deleted), the alias, the address counted, the
    # footer's site pages (once for the content version); no search.
    assert len(captured) <= 3 + 2 + 1


def test_posts_of_the_same_date_are_neighbours_in_the_order_they_were_added(client):
    for n in range(3):
        Post.objects.create(title=f"Same {n}", slug=f"same-{n}", status=Post.Status.PUBLISHED,
                            date=datetime(2021, 5, 5, tzinfo=UTC))  # fmt: skip
    html = page(client, "/posts/same-1/")
    assert html.select_one(".prev-next a[rel=prev]")["href"] == "/posts/same-0/"
    assert html.select_one(".prev-next a[rel=next]")["href"] == "/posts/same-2/"


def test_a_title_closing_the_script_element_stays_inside_the_json_ld_block(client):
    make_post("hostile", title=HOSTILE_TITLE, tags=[HOSTILE_TITLE])
    page = BeautifulSoup(client.get("/posts/hostile/").content, "html.parser")

    scripts = [script for script in page.find_all("script") if not script.get("src")]
    assert [script.get("type") for script in scripts] == ["application/ld+json"]
    assert all(script["src"].startswith("/static/") for script in page.find_all("script", src=True))
    data = json.loads(scripts[0].string)
    assert data["headline"] == HOSTILE_TITLE
    assert data["keywords"] == [HOSTILE_TITLE]
    assert page.find("h1").get_text() == HOSTILE_TITLE


def test_a_published_post_shows_its_body_in_the_post_body_div(client, seed):
    response = client.get(SEED_URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Recurrent miscarriages decreased by increased Vitamin D levels</h1>" in html
    assert '<div id="post-body">' in html
    assert '<nav class="toc">' in html
    assert f'<link rel="canonical" href="http://testserver{SEED_URL}">' in html


def test_category_and_tag_pages_list_their_posts(client, seed):
    for url in ("/categories/pregnancy/", "/tags/miscarriage/", "/posts/", "/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert SEED_URL in response.content.decode(), url


def test_script_in_an_imported_post_never_reaches_the_page(client, tmp_path):
    dump = tmp_path / "dump"
    dump.mkdir()
    body = (
        '<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">'
        '<a href="jav&#x61;script:alert(3)">a</a> [b](javascript:alert(4)) '
        '<svg onload="alert(5)"></svg><iframe src="https://evil.example"></iframe>'
        "![c](data:image/svg+xml;base64,PHN2Zz4=)"
    )
    (dump / "x.md").write_text('{"title": "X", "date": "2024-01-01"}\n\n' + body)
    import_dump(dump)

    page = BeautifulSoup(client.get("/posts/x/").content, "html.parser")
    body = page.find(id="post-body")

    assert body.find_all(["script", "iframe", "svg"]) == []
    for element in page.find_all(True):
        assert not [name for name in element.attrs if name.lower().startswith("on")], element
        for name in ("href", "src"):
            value = element.get(name, "").strip().lower()
            assert not value.startswith(("javascript:", "data:")), element
    assert body.find("img", src="x") is not None


def test_an_unknown_post_url_costs_two_post_queries_one_alias_query_and_one_search(
    client, seed, django_assert_num_queries
):
    # And the address counted, new (not_found.py), the site pages (once for the content version).
    with django_assert_num_queries(4 + 2 + 1):
        assert client.get("/posts/no-such-post/").status_code == 404


@pytest.mark.parametrize("url", ["/wp-login.php", "/favicon.png", "/.env", "/images/vitamin-d.png"])
def test_a_missing_file_gets_a_404_without_a_search(client, seed, url, django_assert_num_queries):
    # The legacy lookup; the address counted, new; the footer's site pages, once for the content version.
    with django_assert_num_queries(1 + 2 + 1):
        response = client.get(url)
    assert response.status_code == 404
    assert seed.get_absolute_url() not in response.content.decode()


def test_a_path_missing_its_slash_is_redirected_without_a_search(client, seed, django_assert_num_queries):
    with django_assert_num_queries(1 + 1):  # the legacy lookup; the site pages, once for the content version
        response = client.get("/tags/miscarriage")  # words a search would look for
    assert response.status_code == 301 and response["Location"] == "/tags/miscarriage/"


def test_a_mistyped_html_page_still_gets_suggestions(client, seed):
    response = client.get("/Recurrent-miscarriages.html")
    assert response.status_code == 404
    assert seed.get_absolute_url() in response.content.decode()


def test_a_mistyped_legacy_post_link_without_its_slash_gets_suggestions(client, seed):
    response = client.get("/posts/recurent-miscarriages-decreased")
    assert response.status_code == 404
    assert seed.get_absolute_url() in response.content.decode()


def test_a_title_with_a_dot_in_it_is_a_page_not_a_file(client, seed):
    response = client.get("/Recurrent miscarriages. Vitamin D")
    assert response.status_code == 404
    assert seed.get_absolute_url() in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_post_page_whose_stored_article_lacks_tag_ids_still_answers(client):
    """An article stored by older code, before migration 0012 ran (a rolling deploy), or written
    otherwise, is rendered again (it was a KeyError in related.py, a 500)."""
    post = make_post("old-article", tags=["rickets"])
    make_post("other", tags=["rickets"])
    article = dict(Post.objects.get(pk=post.pk).article)
    del article["tag_ids"]
    Post.objects.filter(pk=post.pk).update(article=article)
    response = client.get(post.get_absolute_url())
    assert response.status_code == 200
