import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext

from posts.legacy.importer import import_dump
from posts.models import Alias, Post

from .conftest import CORPUS_SEED
from .factories import change_post

pytestmark = pytest.mark.django_db

SLUG = "recurrent-miscarriages-decreased-by-increased-vitamin-d-levels"
CANONICAL = f"/posts/{SLUG}/"
TITLE_ALIAS = "/Recurrent+miscarriages+decreased+by+increased+Vitamin+D+levels+-+Jan+2024"


@pytest.fixture
def seed(db):
    import_dump(CORPUS_SEED)
    return Post.objects.get(slug=SLUG)


def assert_redirects_once(client, url, target=CANONICAL):
    response = client.get(url)
    assert response.status_code == 301, url
    assert response["Location"] == target, url
    assert client.get(target).status_code == 200


def test_a_published_post_shows_its_body_in_the_post_body_div(client, seed):
    response = client.get(CANONICAL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Recurrent miscarriages decreased by increased Vitamin D levels</h1>" in html
    assert '<div id="post-body">' in html
    assert '<nav class="toc">' in html
    assert f'<link rel="canonical" href="http://testserver{CANONICAL}">' in html


@pytest.mark.parametrize(
    "url",
    [
        TITLE_ALIAS,
        "/Recurrent%20miscarriages%20decreased%20by%20increased%20Vitamin%20D%20levels%20-%20Jan%202024",
        "/recurrent miscarriages decreased by increased vitamin d levels - jan 2024",
        "/RECURRENT+MISCARRIAGES+DECREASED+BY+INCREASED+VITAMIN+D+LEVELS+-+JAN+2024/",
        "/15008",
        "/tiki-index.php?page_id=15008",
        "/tiki-index.php?page=Recurrent+miscarriages+decreased+by+increased+Vitamin+D+levels+-+Jan+2024",
        "/tiki-index.php?page=Recurrent%20miscarriages%20decreased%20by%20increased%20Vitamin%20D%20levels%20-%20Jan%202024",
        f"/posts/{SLUG}",
    ],
)
def test_every_spelling_of_a_legacy_url_redirects_in_one_hop(client, seed, url):
    assert_redirects_once(client, url)


def test_an_old_slug_redirects_with_or_without_the_slash(client, seed):
    change_post(seed, slug="a-new-slug")  # the workflow keeps the old address as an alias
    for url in ("/posts/recurrent-miscarriages-decreased-by-increased-vitamin-d-levels/", f"/posts/{SLUG}"):
        assert_redirects_once(client, url, "/posts/a-new-slug/")
    assert Alias.objects.get(path=f"/posts/{SLUG}").kind == Alias.Kind.OLD_SLUG


def test_a_deleted_posts_urls_answer_410(client, seed):
    seed.status = Post.Status.DELETED
    seed.save()
    for url in (CANONICAL, TITLE_ALIAS, "/15008", "/tiki-index.php?page_id=15008", f"/posts/{SLUG}"):
        assert client.get(url).status_code == 410, url


def test_a_draft_is_hidden_from_readers_and_shown_to_staff(client, admin_client, seed):
    seed.status = Post.Status.DRAFT
    seed.save()
    assert client.get(CANONICAL).status_code == 404
    assert client.get(TITLE_ALIAS).status_code == 404
    response = admin_client.get(CANONICAL)
    assert response.status_code == 200
    assert "readers cannot see it" in response.content.decode()


def test_an_unknown_url_is_a_404(client, seed):
    assert client.get("/No+Such+Title").status_code == 404
    assert client.get("/posts/no-such-post/").status_code == 404
    assert client.get("/tiki-index.php?page_id=1").status_code == 404


def test_the_legacy_lookup_is_one_indexed_query_whatever_the_number_of_aliases(client, seed):
    Alias.objects.bulk_create([Alias(path=f"/filler {n}", post=seed, kind=Alias.Kind.MANUAL) for n in range(3000)])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(TITLE_ALIAS)
    assert response.status_code == 301
    assert len(queries) == 1
    sql = queries[0]["sql"]
    assert '"posts_alias"."path" =' in sql and "LIKE" not in sql.upper()
    indexed = {
        tuple(info["columns"])
        for info in connection.introspection.get_constraints(connection.cursor(), "posts_alias").values()
        if info["unique"] or info["index"]
    }
    assert ("path",) in indexed


def test_old_tag_urls_redirect_to_the_tag_page(client, seed):
    assert_redirects_once(client, "/tags/miscarriage.html", "/tags/miscarriage/")


def test_old_category_urls_without_slash_redirect(client, seed):
    assert_redirects_once(client, "/categories/pregnancy", "/categories/pregnancy/")


def test_category_and_tag_pages_list_their_posts(client, seed):
    for url in ("/categories/pregnancy/", "/tags/miscarriage/", "/posts/", "/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert CANONICAL in response.content.decode(), url


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


def test_titles_with_a_percent_sign_or_decomposed_accents_still_match(client, tmp_path):
    dump = tmp_path / "dump"
    dump.mkdir()
    meta = '{"title": "P", "date": "2024-01-01", "aliases": ["/50%25+more+sun", "/Caf\u00e9+study"]}'
    (dump / "p.md").write_text(meta + "\n\nBody")
    import_dump(dump)

    for url in ("/50%25%20more%20sun", "/50%25+MORE+SUN", "/Cafe%CC%81+study", "/CAF%C3%89%20study"):
        response = client.get(url)
        assert (response.status_code, response.get("Location")) == (301, "/posts/p/"), url


def test_an_unknown_post_url_costs_two_post_queries_one_alias_query_and_one_search(client, seed):
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/posts/no-such-post/").status_code == 404
    published, readable, alias, search = (query["sql"] for query in queries.captured_queries)
    assert all('"posts_post"."slug" =' in post for post in (published, readable))
    assert 'FROM "posts_alias"' in alias
    assert "posts_post_fts" in search or "search_title" in search


@pytest.mark.parametrize("url", ["/wp-login.php", "/favicon.ico", "/.env", "/images/vitamin-d.png"])
def test_a_missing_file_gets_a_404_without_a_search(client, seed, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 404
    assert [query["sql"] for query in queries.captured_queries if "posts_alias" not in query["sql"]] == []


def test_a_path_missing_its_slash_is_redirected_without_a_search(client, seed):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/categories")
    assert response.status_code == 301 and response["Location"] == "/categories/"
    assert [query["sql"] for query in queries.captured_queries if "posts_alias" not in query["sql"]] == []


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
