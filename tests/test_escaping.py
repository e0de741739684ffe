"""What a post's author or a reader's query writes stays text on the page: the JSON-LD block of a
post page, and the search page's echo of the query."""

import json

import pytest
from bs4 import BeautifulSoup

from posts import workflow
from posts.workflow import Content

from .factories import make_user

pytestmark = pytest.mark.django_db

HOSTILE_TITLE = "</script><script>alert(1)</script><!--<script>"
HOSTILE_QUERY = '</title><script>alert(1)</script>"><img src=x onerror=alert(2)>zinc'
WORDS_OF_THE_QUERY = "title script alert 1 script img src x onerror alert 2 zinc"


def publish(title: str, body: str = "Words about zinc.") -> None:
    editor, moderator = make_user("Editor", "ed"), make_user("Moderator", "mo")
    post = workflow.create(by=editor, content=Content(title, "hostile", body, tags=(title,)))
    workflow.publish(post, by=moderator)


def test_a_title_closing_the_script_element_stays_inside_the_json_ld_block(client):
    publish(HOSTILE_TITLE)
    page = BeautifulSoup(client.get("/posts/hostile/").content, "html.parser")

    scripts = page.find_all("script")
    assert [script.get("type") for script in scripts] == ["application/ld+json"]
    data = json.loads(scripts[0].string)
    assert data["headline"] == HOSTILE_TITLE
    assert data["keywords"] == [HOSTILE_TITLE]
    assert page.find("h1").get_text() == HOSTILE_TITLE


@pytest.mark.parametrize(
    "body, extra",
    [
        ("Words about zinc.", {}),  # no match
        (f"The words of the query: {WORDS_OF_THE_QUERY}.", {}),  # a match
        (f"The words of the query: {WORDS_OF_THE_QUERY}.", {"page": "2"}),
        ("Words about zinc.", {"category": "no-such"}),
    ],
)
def test_the_search_query_is_shown_as_text_wherever_the_page_repeats_it(client, body, extra):
    publish("Zinc", body)
    response = client.get("/search/", {"q": HOSTILE_QUERY, **extra})
    page = BeautifulSoup(response.content, "html.parser")

    assert page.find_all(["script", "img"]) == []
    assert [element for element in page.find_all(True) if any(name.startswith("on") for name in element.attrs)] == []
    assert page.title.get_text().startswith(f"Search: {HOSTILE_QUERY}")
    assert page.find("input", attrs={"name": "q", "type": "search"})["value"] == HOSTILE_QUERY
    assert HOSTILE_QUERY in page.find("main").get_text()
