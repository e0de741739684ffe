"""Legacy URLs (posts/aliases.py): every spelling of an old wiki address answers 301 to its post in
one indexed lookup, or 410 when the post was deleted; and an alias never hides one of the site's
own addresses, whoever writes it."""

import json
import re
from html import unescape

import pytest

from posts import workflow
from posts.legacy.importer import import_dump
from posts.models import Alias, Post
from posts.workflow import Content

from .conftest import SEED_SLUG
from .factories import change_post, make_user

pytestmark = pytest.mark.django_db

CANONICAL = f"/posts/{SEED_SLUG}/"
TITLE_ALIAS = "/Recurrent+miscarriages+decreased+by+increased+Vitamin+D+levels+-+Jan+2024"


def assert_redirects_once(client, url, target=CANONICAL):
    response = client.get(url)
    assert response.status_code == 301, url
    assert response["Location"] == target, url
    assert client.get(target).status_code == 200


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
        f"/posts/{SEED_SLUG}",
    ],
)
def test_every_spelling_of_a_legacy_url_redirects_in_one_hop(client, seed, url):
    assert_redirects_once(client, url)


def test_an_old_slug_redirects_with_or_without_the_slash(client, seed):
    change_post(seed, slug="a-new-slug")  # the workflow keeps the old address as an alias
    for url in ("/posts/recurrent-miscarriages-decreased-by-increased-vitamin-d-levels/", f"/posts/{SEED_SLUG}"):
        assert_redirects_once(client, url, "/posts/a-new-slug/")
    assert Alias.objects.get(path=f"/posts/{SEED_SLUG}").kind == Alias.Kind.OLD_SLUG


def test_a_deleted_posts_urls_answer_410(client, seed):
    seed.status = Post.Status.DELETED
    seed.save()
    for url in (CANONICAL, TITLE_ALIAS, "/15008", "/tiki-index.php?page_id=15008", f"/posts/{SEED_SLUG}"):
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


def test_the_legacy_lookup_is_one_indexed_query_whatever_the_number_of_aliases(client, seed, django_assert_num_queries):
    Alias.objects.bulk_create([Alias(path=f"/filler {n}", post=seed, kind=Alias.Kind.MANUAL) for n in range(3000)])
    with django_assert_num_queries(1 + 1):  # the lookup; the alias's use counted, by its key
        response = client.get(TITLE_ALIAS)
    assert response.status_code == 301

    plan = Alias.objects.matching(TITLE_ALIAS, decoded=True).explain()
    assert "USING INDEX" in plan or "Index Scan" in plan, plan  # SQLite's and PostgreSQL's words for it
    assert "SCAN posts_alias" not in plan and "Seq Scan" not in plan, plan


def test_old_tag_urls_redirect_to_the_tag_page(client, seed):
    assert_redirects_once(client, "/tags/miscarriage.html", "/tags/miscarriage/")


def test_old_category_urls_without_slash_redirect(client, seed):
    assert_redirects_once(client, "/categories/pregnancy", "/categories/pregnancy/")


def test_titles_with_a_percent_sign_or_decomposed_accents_still_match(client, tmp_path):
    dump = tmp_path / "dump"
    dump.mkdir()
    meta = '{"title": "P", "date": "2024-01-01", "aliases": ["/50%25+more+sun", "/Caf\u00e9+study"]}'
    (dump / "p.md").write_text(meta + "\n\nBody")
    import_dump(dump)

    for url in ("/50%25%20more%20sun", "/50%25+MORE+SUN", "/Cafe%CC%81+study", "/CAF%C3%89%20study"):
        response = client.get(url)
        assert (response.status_code, response.get("Location")) == (301, "/posts/p/"), url


def test_a_legacy_url_still_redirects_and_a_deleted_post_still_answers_410(client, seed):
    response = client.get(f"/{seed.tiki_page_id}")
    assert (response.status_code, response["Location"]) == (301, CANONICAL)
    seed.status = Post.Status.DELETED
    seed.save()
    assert client.get(f"/{seed.tiki_page_id}").status_code == 410


HIDING = {
    "/admin": "own page /admin/ (admin:index)",
    "/admin/posts/post": "own page /admin/posts/post/ (admin:posts_post_changelist)",
    "/search": "own page /search/ (posts:search)",
    "/SEARCH/": "own page /search/ (posts:search)",
    "/feed": "own page /feed/ (feeds:site)",
    "/posts": "own page /posts/ (posts:list)",
    "/categories": "own page /categories/ (posts:categories)",
    "/tags": "own page /tags/ (posts:tags)",
    "/archive": "own page /archive/ (posts:archive)",
    "/sitemap.xml": "own page /sitemap.xml (seo:sitemap)",
    "/robots.txt": "own page /robots.txt (seo:robots)",
    "/static/posts/site.css": "files under /static/",
    "/media/attachments/chart.png": "files under /media/",
    "/": "own page / (posts:home)",
}


ALLOWED = ["/15008", "/Old+Title+–+Dec+2012", "/posts/an-old-slug", "/tiki-index.php?page_id=14554", "/feeds"]


def errors(response) -> str:
    return " ".join(
        unescape(text)
        for text in re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.content.decode(), re.DOTALL)
    )


@pytest.fixture
def moderator(roles):
    return make_user("Moderator", "boss")


@pytest.fixture
def post(moderator):
    return workflow.publish(workflow.create(by=moderator, content=Content("A post", "a-post", "Words.")), by=moderator)


@pytest.mark.parametrize("path", HIDING)
def test_an_alias_at_one_of_the_sites_addresses_is_refused_on_the_alias_page(path, post, moderator, client):
    client.force_login(moderator)

    response = client.post("/admin/posts/alias/add/", {"path": path, "post": post.pk, "kind": "manual"})

    assert response.status_code == 200
    assert f"would hide the site's {HIDING[path]}" in errors(response)
    assert not Alias.objects.exists()


def test_an_alias_at_one_of_the_sites_addresses_is_refused_on_the_posts_edit_page(post, moderator, client):
    client.force_login(moderator)
    form = {
        "title": post.title,
        "slug": post.slug,
        "body": post.body,
        "date_0": "2026-11-22",
        "date_1": "10:00:00",
        "based_on": post.latest_revision_id,
        "aliases-TOTAL_FORMS": "1",
        "aliases-INITIAL_FORMS": "0",
        "aliases-0-path": "/search",
        "aliases-0-kind": "manual",
    }

    response = client.post(f"/admin/posts/post/{post.pk}/change/", form)

    assert "would hide the site's own page /search/ (posts:search)" in errors(response)
    assert not Alias.objects.exists()
    client.logout()
    assert client.get("/search").status_code == 301 and client.get("/search")["Location"] == "/search/"


@pytest.mark.parametrize("path", ALLOWED)
def test_a_legacy_alias_outside_the_sites_addresses_is_accepted_and_redirects(path, post, moderator, client):
    client.force_login(moderator)

    response = client.post("/admin/posts/alias/add/", {"path": path, "post": post.pk, "kind": "manual"})

    assert response.status_code == 302, response.content.decode()[:2000]
    client.logout()
    answer = client.get(path)
    assert (answer.status_code, answer["Location"]) == (301, "/posts/a-post/")


def test_the_importer_refuses_a_file_whose_alias_would_hide_a_sites_address(tmp_path):
    dump = tmp_path / "dump"
    dump.mkdir()
    for slug, aliases in [("good", ["/Good+Old+Title"]), ("bad", ["/Bad+Old+Title", "/feed/"])]:
        meta = {"title": slug, "slug": slug, "date": "2024-01-29", "aliases": aliases}
        (dump / f"{slug}.md").write_text(json.dumps(meta) + "\n\nBody.\n")

    report = import_dump(dump)

    assert [(item["file"], item["field"]) for item in report.failed] == [("bad.md", "aliases")]
    assert "'/feed/' would hide the site's own page /feed/ (feeds:site)" in report.failed[0]["message"]
    assert list(Post.objects.values_list("slug", flat=True)) == ["good"]
    assert list(Alias.objects.values_list("path", flat=True)) == ["/good old title"]
