"""The site through gunicorn (tests/server.py), where readers meet it: addresses with non-Latin-1
characters, impossible dates, query parameters the pages do not read."""

import uuid
from datetime import UTC, datetime

import pytest
from django.utils.encoding import iri_to_uri

from posts.middleware import NUL_REFUSED
from posts.models import Alias, Post

from .factories import make_post
from .server import percent_encoded
from .test_views import IMPOSSIBLE_ARCHIVES

TITLE = "Cardiovascular system benefits from both Omega-3 and vitamin D – Dec 2012 (µg, café)"
ALIAS = "/Cardiovascular+system+benefits+from+both+Omega-3+and+vitamin+D+–+Dec+2012+µg+café"
SLUG = "omega-3-µg-café-–-2012"
TAG = "Vitamin D – µg"


@pytest.fixture
def post():
    post = make_post(
        SLUG, title=TITLE, body="Omega-3 and vitamin D, in µg.", categories=["Cœur – heart"], tags=[TAG],
        date=datetime(2012, 12, 1, tzinfo=UTC),
    )  # fmt: skip
    Alias.objects.create(path=ALIAS, post=post, kind=Alias.Kind.LEGACY_TITLE)
    return post


def spellings(path: str) -> list[str]:
    """`path` as browsers and crawlers send it: percent-encoded with `+` or `%20` for spaces."""
    return [percent_encoded(path), percent_encoded(path.replace("+", " "))]


def test_an_alias_with_non_latin_1_characters_redirects_once_uncached_and_cached(server, post):
    canonical = iri_to_uri(post.get_absolute_url())
    for url in [*spellings(ALIAS), *spellings(ALIAS.upper())]:
        for _ in ("uncached", "cached"):
            answer = server.get(url)
            assert (answer.status, answer.headers["Location"]) == (301, canonical), url
    assert server.get(canonical).status == 200


def test_a_post_tag_category_and_search_with_non_latin_1_characters_answer_200_uncached_and_cached(server, post):
    tag = post.tags.get()
    urls = [post.get_absolute_url(), f"/tags/{tag.slug}/", post.categories.get().get_absolute_url(),
            "/search/?q=µg+café+–", f"/search/?tag={TAG}"]  # fmt: skip
    for url in map(percent_encoded, urls):
        for _ in ("uncached", "cached"):
            answer = server.get(url)
            assert answer.status == 200, url
    assert TITLE in server.get(percent_encoded(f"/tags/{tag.slug}/")).text


def test_a_missing_page_with_non_latin_1_characters_answers_404_with_suggestions(server, post):
    for url in ["/Omega-3+µg+café+–+2013", "/posts/omega-3-µg-café-–-2013/", "/tags/µg-–/"]:
        answer = server.get(percent_encoded(url))
        assert answer.status == 404, url
    assert f"/posts/{percent_encoded(SLUG)}/" in server.get(percent_encoded("/Omega-3+µg+café+–+2013")).text


def test_a_search_with_a_non_latin_1_typo_offers_the_word_meant_uncached_and_cached(server, post):
    for _ in ("uncached", "cached"):
        answer = server.get(percent_encoded("/search/?q=cardiovascluar+µg+café"))
        assert answer.status == 200
        assert 'Did you mean <a href="?q=cardiovascular+%C2%B5g+caf%C3%A9"' in answer.text
        assert f'<a href="/posts/{percent_encoded(SLUG)}/">' in answer.text  # among the close titles


def test_an_archive_of_an_impossible_year_or_month_is_not_found(server, post):
    for url in IMPOSSIBLE_ARCHIVES:
        assert server.get(url).status == 404, url
    assert server.get("/archive/2012/12/").status == 200


def test_query_parameters_a_page_does_not_read_get_the_cached_page(server, post):
    home = server.get(f"/?utm_source={uuid.uuid4().hex}")
    searched = server.get(percent_encoded("/search/?q=café&utm_source=newsletter"))
    Post.objects.filter(pk=post.pk).update(title="Changed behind the cache")  # no signal: only a new page shows it
    for n in range(3):
        assert server.get(f"/?utm_source={uuid.uuid4().hex}&fbclid={n}").body == home.body
        assert server.get(percent_encoded(f"/search/?utm_medium={n}&q=café")).body == searched.body
    assert "Changed behind the cache" in server.get(percent_encoded("/search/?q=café&page=1")).text


NUL_ADDRESSES = ["/%00", "/posts/%00/", "/posts/a%00b", "/tags/%00/", "/categories/%00/feed/", "/sitemap-%00.xml",
                 "/preview/%00/", "/tiki-index.php?page=%00", "/tiki-index.php?page_id=%00",
                 "/search/?q=a%00b"]  # fmt: skip


def test_an_address_holding_a_nul_character_is_refused_with_400_naming_it(server, post):
    for url in NUL_ADDRESSES:
        for _ in ("uncached", "cached"):
            answer = server.get(url)
            assert (answer.status, answer.text) == (400, NUL_REFUSED), url


def test_addresses_with_broken_percent_encodings_or_long_answer_404_not_500(server, post):
    for url in ["/%C3%28", "/%FF", "/%C0%AF", "/%E2%80", "/posts/%FF/", "/tags/%ED%A0%80/", "/" + "%C3%A9+" * 500]:
        assert server.get(url).status == 404, url
    assert server.get("/search/?q=%FF%C3%28").status == 200


def test_the_icons_browsers_ask_for_at_the_root_are_served_from_the_static_files(server):
    for path, content_type, magic in [
        ("/favicon.ico", "image/x-icon", b"\x00\x00\x01\x00"),
        ("/apple-touch-icon.png", "image/png", b"\x89PNG"),
    ]:
        answer = server.get(path)
        assert answer.status == 302, path
        icon = server.get(answer.headers["Location"])
        assert (icon.status, icon.headers["Content-Type"], icon.body[:4]) == (200, content_type, magic), path
    page = server.get("/").body.decode()
    assert 'rel="icon" href="/static/posts/favicon.' in page and 'rel="apple-touch-icon"' in page
    assert 'rel="icon" href="/static/posts/favicon.' in server.get("/admin/login/").body.decode()
