"""The middleware of posts/middleware.py: an old wiki URL answered when DEBUG's 404 page replaced
the handler, and an address holding a NUL character refused before any lookup."""

import pytest

from posts.middleware import NUL_REFUSED


def test_with_debug_on_a_legacy_url_still_redirects(client, seed, settings):
    settings.DEBUG = True  # Django's own 404 page replaces the handler
    response = client.get(f"/{seed.tiki_page_id}")
    assert (response.status_code, response["Location"]) == (301, seed.get_absolute_url())


@pytest.mark.django_db
@pytest.mark.parametrize("query", [{"q": "a\x00b"}, {"q": "\x00"}, {"q": "stroke", "category": "\x00<b>"}])
def test_a_search_holding_a_nul_character_is_refused_naming_it(client, query):
    response = client.get("/search/", query)

    assert (response.status_code, response.content.decode()) == (400, NUL_REFUSED)
