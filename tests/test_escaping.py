"""What a post's author or a reader's query writes stays text on the page: the JSON-LD block of a
post page, the names its header and footer show (posts/article/*.html), and the search page's echo
of the query."""

import json

import pytest
from bs4 import BeautifulSoup

from posts import changes, workflow
from posts.models import Attachment, Category, Post
from posts.workflow import Content

from .factories import make_user

pytestmark = pytest.mark.django_db

HOSTILE_TITLE = "</script><script>alert(1)</script><!--<script>"
HOSTILE_NAME = '"><img src=x onerror=alert(1)><b>&amp;'
HOSTILE_URL = 'https://cdn.example/a.pdf?"><img src=x onerror=alert(2)>'
HOSTILE_HEADING = "&lt;img src=x onerror=alert(3)&gt; &amp;amp;"  # Markdown whose text is markup
HEADING_TEXT = "<img src=x onerror=alert(3)> &amp;"
HOSTILE_QUERY = '</title><script>alert(1)</script>"><img src=x onerror=alert(2)>zinc'
WORDS_OF_THE_QUERY = "title script alert 1 script img src x onerror alert 2 zinc"


def publish(title: str, body: str = "Words about zinc.", categories: tuple[str, ...] = ()) -> Post:
    editor, moderator = make_user("Editor", "ed"), make_user("Moderator", "mo")
    post = workflow.create(by=editor, content=Content(title, "hostile", body, categories, tags=(title,)))
    return workflow.publish(post, by=moderator)


def test_a_title_closing_the_script_element_stays_inside_the_json_ld_block(client):
    publish(HOSTILE_TITLE)
    page = BeautifulSoup(client.get("/posts/hostile/").content, "html.parser")

    scripts = page.find_all("script")
    assert [script.get("type") for script in scripts] == ["application/ld+json"]
    data = json.loads(scripts[0].string)
    assert data["headline"] == HOSTILE_TITLE
    assert data["keywords"] == [HOSTILE_TITLE]
    assert page.find("h1").get_text() == HOSTILE_TITLE


def test_names_in_the_posts_header_and_footer_stay_text(client):
    Category.objects.create(name=HOSTILE_NAME, slug="hostile-category")
    headings = [f"## {HOSTILE_HEADING} {n}" for n in range(3)]  # enough for a table of contents
    post = publish(HOSTILE_NAME, "\n\n".join(headings), categories=(HOSTILE_NAME,))
    # As the importer links a legacy attachment (its URL is not checked as the admin's form checks one).
    Attachment.objects.create(legacy_url=HOSTILE_URL, kind=Attachment.Kind.PDF).posts.add(post)
    changes.refresh([post.pk], seen=True)
    page = BeautifulSoup(client.get("/posts/hostile/").content, "html.parser")

    assert page.find_all(["img", "b"]) == []
    assert [element for element in page.find_all(True) if any(name.startswith("on") for name in element.attrs)] == []
    assert page.find("h1").get_text() == HOSTILE_NAME
    assert [a.get_text() for a in page.select(".kicker a")] == [HOSTILE_NAME]
    assert [a.get_text() for a in page.select(".tags a")] == [HOSTILE_NAME]
    assert [a.get_text() for a in page.select("nav.toc a")] == [f"{HEADING_TEXT} {n}" for n in range(3)]
    attachment = page.select_one(".attachments a")
    assert (attachment["href"], attachment.get_text()) == (HOSTILE_URL, HOSTILE_URL.rsplit("/", 1)[-1])


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
