"""An alias never hides one of the site's own addresses, whoever writes it: the admin's alias
page, a post's edit page, the importer."""

import json
import re
from html import unescape

import pytest

from posts import workflow
from posts.legacy.importer import import_dump
from posts.models import Alias, Post
from posts.workflow import Content

from .factories import make_user

pytestmark = pytest.mark.django_db

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
