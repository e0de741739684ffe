"""Signed preview links (posts/previews.py): a draft as readers will see it, for someone without
an account, until the link expires; a forged or altered link shows nothing."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import signing

from posts import workflow
from posts.models import Post
from posts.previews import SALT, preview_url
from posts.workflow import Content

from .factories import make_user

pytestmark = pytest.mark.django_db

NOW = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def author():
    return make_user("Author", "writer")


@pytest.fixture
def moderator():
    return make_user("Moderator", "boss")


def write(author, body="A **draft** nobody has seen.", tags=("Vitamin D",), slug="draft-title") -> Post:
    return workflow.create(by=author, content=Content("Draft title", slug, body, tags=tags))


def test_a_preview_link_shows_the_draft_as_its_page_will_to_someone_without_an_account(client, author):
    post = write(author)
    with time_machine.travel(NOW, tick=False):
        url = preview_url(post.latest_revision)
        response = client.get(url)

    page = response.content.decode()
    assert response.status_code == 200
    assert '<div id="post-body"><p>A <strong>draft</strong> nobody has seen.</p>' in page
    assert "<h1>Draft title</h1>" in page.replace(' class="post-title"', "")
    assert "Vitamin D" in page
    assert "which readers cannot see" in page and "This link works until 14 Jan 2030, 09:00" in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"]
    assert client.get("/posts/draft-title/").status_code == 404


def test_a_preview_link_shows_a_waiting_change_while_the_page_shows_the_live_text(client, author, moderator):
    post = workflow.publish(write(author, body="Live words."), by=moderator)
    change = workflow.edit(
        post, by=author, content=Content("Draft title", "draft-title", "Waiting words."), based_on=post.latest_revision
    )

    assert "Waiting words." in client.get(preview_url(change)).content.decode()
    assert "Live words." in client.get("/posts/draft-title/").content.decode()


def test_a_preview_link_shows_the_summary_of_its_revision_as_the_pages_description(client, author, moderator):
    post = workflow.publish(write(author, body="Live words."), by=moderator)
    change = workflow.edit(
        post,
        by=author,
        content=Content("Draft title", "draft-title", "Live words.", summary="A summary waiting for review."),
        based_on=post.latest_revision,
    )

    assert (
        '<meta name="description" content="A summary waiting for review.">'
        in client.get(preview_url(change)).content.decode()
    )
    assert '<meta name="description" content="Live words.">' in client.get("/posts/draft-title/").content.decode()


def test_a_preview_link_stops_working_when_it_expires(client, author, settings):
    settings.VDWIKI_PREVIEW_MAX_AGE = 3600
    post = write(author)
    with time_machine.travel(NOW, tick=False):
        url = preview_url(post.latest_revision)

    with time_machine.travel(NOW + timedelta(minutes=59), tick=False):
        assert client.get(url).status_code == 200
    with time_machine.travel(NOW + timedelta(minutes=61), tick=False):
        response = client.get(url)

    assert response.status_code == 404
    assert "This preview link has expired" in response.content.decode()
    assert "nobody has seen" not in response.content.decode()


def test_a_forged_or_altered_preview_link_shows_nothing(client, author):
    post = write(author)
    other = write(author, body="Another secret draft.", tags=(), slug="another")
    genuine = preview_url(post.latest_revision).split("/")[2]
    later = int(NOW.timestamp()) + 10**9
    swapped = b'{"revision":%d,"until":%d}' % (other.latest_revision_id, later)  # under the genuine signature
    forged = [
        signing.dumps({"revision": other.latest_revision_id, "until": later}, salt="another salt"),
        signing.dumps({"revision": other.latest_revision_id, "until": later}, salt=SALT, key="not-our-secret"),
        genuine[:-3] + ("aaa" if not genuine.endswith("aaa") else "bbb"),
        genuine.replace(genuine.split(":")[0], signing.b64_encode(swapped).decode()),
        "nonsense",
    ]

    for token in forged:
        response = client.get(f"/preview/{token}/")
        assert response.status_code == 404, token
        assert "not valid" in response.content.decode()
        assert "secret draft" not in response.content.decode() and "nobody has seen" not in response.content.decode()


def test_a_preview_link_of_a_deleted_post_shows_nothing(client, author, moderator):
    post = write(author)
    url = preview_url(post.latest_revision)
    workflow.delete(post, by=moderator)

    assert "was deleted" in client.get(url).content.decode()
