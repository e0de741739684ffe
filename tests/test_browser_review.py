"""Reviewing in a real Chromium: a moderator works through the queue from the dashboard, and the
screens fit a phone. Screenshots at 1280 and 390 px are saved in test-results/ as review-*.png."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from posts import workflow
from posts.models import Post
from posts.workflow import Content

from .conftest import SCREENSHOTS
from .factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [1280, 390]


@pytest.fixture
def people(roles):
    return {"author": make_user("Author", "ada"), "moderator": make_user("Moderator", "mo")}


@pytest.fixture
def waiting(people):
    """Three changes waiting for review, the oldest first: two new posts and a change to a live one."""
    author, moderator = people["author"], people["moderator"]
    posts = []
    for slug, body, comment in [
        ("vitamin-d-and-sleep", "People with more vitamin D slept longer.\n\n" * 3, "New trial, please check"),
        ("magnesium-and-cramps", "Magnesium eased cramps in a small trial.", ""),
    ]:
        post = workflow.create(by=author, content=Content(slug.replace("-", " ").capitalize(), slug, body))
        posts.append(workflow.submit(post, by=author, comment=comment))
    live = workflow.create(by=author, content=Content("Zinc and colds", "zinc-and-colds", "Zinc shortened colds."))
    workflow.publish(live, by=moderator)
    changed = Content("Zinc and colds", "zinc-and-colds", "Zinc shortened colds by a day in two trials.")
    workflow.edit(live, by=author, content=changed, based_on=live.latest_revision, message="Added the second trial")
    posts.append(workflow.submit(live, by=author))
    return posts


def look(page, name: str) -> None:
    """Screenshots of the page at each width, each checked to need no horizontal scrolling."""
    SCREENSHOTS.mkdir(exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=SCREENSHOTS / f"review-{name}-{width}.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} scrolls sideways at {width} px"
    page.set_viewport_size({"width": 1280, "height": 900})


def click(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state()


def test_a_moderator_reviews_three_changes_from_the_dashboard_without_the_post_list(open_as, waiting):
    first, second, third = waiting
    moderator = open_as("mo")
    visited = []
    moderator.on("request", lambda request: visited.append(urlsplit(request.url).path))
    assert "3" in moderator.locator("#dash-review .count").inner_text()
    look(moderator, "dashboard-moderator")

    moderator.get_by_role("link", name="Review the oldest first").click()
    moderator.wait_for_url(f"**/admin/posts/post/{first.pk}/compare/")
    assert "nothing before: a new post" in moderator.locator("table.diff thead").inner_text().lower()
    look(moderator, "compare-new-post")
    click(moderator, "Approve and publish")

    moderator.wait_for_url(f"**/admin/posts/post/{second.pk}/compare/")
    assert "is now published" in moderator.locator(".messagelist").inner_text()
    tomorrow = timezone.localtime() + timedelta(days=1)
    moderator.fill("#review-at", tomorrow.strftime("%Y-%m-%dT10:00"))
    click(moderator, "Approve for this time")

    moderator.wait_for_url(f"**/admin/posts/post/{third.pk}/compare/")
    assert "by a day in two trials" in "".join(moderator.locator("table.diff ins").all_inner_texts())
    look(moderator, "compare-change")
    click(moderator, "Send back")  # without a comment the browser keeps the form
    assert moderator.url.endswith(f"/admin/posts/post/{third.pk}/compare/")
    moderator.fill("#review-comment", "Name the two trials and their sizes.")
    click(moderator, "Send back")

    moderator.wait_for_url("**/admin/")
    assert "Nothing is waiting for review." in moderator.locator("#content").inner_text()
    assert "/admin/posts/post/" not in visited
    assert Post.objects.get(pk=first.pk).status == Post.Status.PUBLISHED
    assert workflow.state_of(Post.objects.get(pk=second.pk)) == Post.Status.SCHEDULED
    assert workflow.state_of(Post.objects.get(pk=third.pk)) == Post.Status.DRAFT

    author = open_as("ada")
    sent_back = author.locator("section[aria-labelledby=dash-sent-back]").inner_text()
    assert "Zinc and colds" in sent_back and "Name the two trials and their sizes." in sent_back
    look(author, "dashboard-author")


def test_the_queue_fits_a_phone(open_as, waiting):
    moderator = open_as("mo")
    moderator.goto("/admin/posts/postinreview/")
    assert moderator.locator("#result_list tbody tr").count() == 3

    look(moderator, "queue")

    moderator.set_viewport_size({"width": 390, "height": 900})
    message = moderator.locator("td.field-message", has_text="New trial, please check")
    assert message.bounding_box()["x"] + message.bounding_box()["width"] <= 390
