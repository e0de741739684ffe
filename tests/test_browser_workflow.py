"""The editorial workflow in a real Chromium, from an author's first draft to readers, through a
moderator's review; screenshots of the admin screens are saved in test-results/."""

import base64
import re

import pytest
from playwright.sync_api import expect

from posts import workflow
from posts.models import Post
from posts.workflow import Content

from .conftest import SCREENSHOTS
from .factories import make_user, png

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SLUG = "vitamin-d-and-sleep"


@pytest.fixture
def people(roles):
    return {role: make_user(role, name) for role, name in [("Author", "ada"), ("Moderator", "mo"), ("Editor", "ed")]}


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"workflow-{name}.png", full_page=True)


def drop_image(page, selector: str) -> None:
    """Drop a PNG onto the editor, as a person dragging a file from their desktop."""
    page.evaluate(
        """([selector, data]) => {
            const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "sleep-chart.png", {type: "image/png"}));
            document.querySelector(selector).dispatchEvent(
                new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
        }""",
        [selector, base64.b64encode(png(40, 24)).decode()],
    )


def move(page, button: str, comment: str = "") -> None:
    if comment:
        page.fill("#id_comment", comment)
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state()


def test_a_post_goes_from_an_authors_draft_through_review_to_readers(open_as, people):
    # The author writes with the live preview and drops an image into the text.
    author = open_as("ada")
    author.goto("/admin/posts/post/add/")
    author.fill("#id_title", "Vitamin D and sleep")
    author.fill("#id_body", "## Findings\n\nPeople with **more vitamin D** slept longer.\n\n")
    preview = author.locator(".markdownx-preview")
    preview.locator("strong", has_text="more vitamin D").wait_for()
    assert preview.locator("h2", has_text="Findings").count() == 1
    drop_image(author, "#id_body")
    author.locator("#alt-dialog").get_by_role("button", name="Insert").click()  # its alt text as offered
    # Polled from here: a string predicate polled in the page is an eval, which our CSP blocks.
    expect(author.locator("#id_body")).to_have_value(re.compile("sleep-chart"))
    preview.locator("img[src*='sleep-chart']").wait_for()
    assert author.input_value("#id_slug") == SLUG
    shot(author, "1-author-writes")
    author.get_by_role("button", name="Save and continue editing").click()
    author.wait_for_url("**/change/")
    move(author, "Submit for review")
    assert "in review" in author.locator(".workflow h2").inner_text()

    # The moderator finds it in the queue and sends it back with a comment.
    moderator = open_as("mo")
    moderator.goto("/admin/posts/postinreview/")
    shot(moderator, "2-review-queue")
    moderator.get_by_role("link", name="Open").first.click()
    move(moderator, "Send back", comment="Say how much longer, and cite the trial.")
    assert "draft" in moderator.locator(".workflow h2").inner_text()

    # The author reads why, revises and submits again.
    author.reload()
    assert "Say how much longer, and cite the trial." in author.locator(".sent-back").inner_text()
    shot(author, "3-sent-back")
    body = author.input_value("#id_body").replace("slept longer.", "slept 40 minutes longer (RCT, n=120).")
    author.fill("#id_body", body)
    author.fill("#id_message", "Figures from the trial")
    author.get_by_role("button", name="Save and continue editing").click()
    author.wait_for_url("**/change/")
    move(author, "Submit for review")

    # The moderator compares the two revisions, then approves.
    moderator.reload()
    moderator.get_by_role("link", name="History").click()
    moderator.get_by_role("button", name="Compare the chosen revisions").click()
    inserted = "".join(moderator.locator("table.diff ins").all_inner_texts())
    assert "40 minutes" in inserted and "(RCT, n=120)" in inserted
    shot(moderator, "4-compare")
    moderator.go_back()
    moderator.go_back()
    moderator.reload()
    move(moderator, "Approve and publish")
    assert moderator.locator(".workflow h2").inner_text().startswith("State: published")

    # A reader sees it, image included.
    reader = open_as(None)
    reader.goto(f"/posts/{SLUG}/")
    assert "slept 40 minutes longer" in reader.locator("#post-body").inner_text()
    assert reader.locator("#post-body img").evaluate("image => image.complete && image.naturalWidth") == 40
    shot(reader, "5-reader")

    # An editor's later change waits for a moderator; readers keep the approved text meanwhile.
    editor = open_as("ed")
    editor.goto(f"/admin/posts/post/{Post.objects.get(slug=SLUG).pk}/change/")
    editor.fill("#id_body", editor.input_value("#id_body") + "\nAn unreviewed sentence.\n")
    editor.get_by_role("button", name="Save and continue editing").click()
    editor.wait_for_url("**/change/")
    assert "Readers still see the live revision" in editor.locator(".workflow").inner_text()
    shot(editor, "6-waiting-change")
    reader.reload()
    assert "unreviewed" not in reader.locator("#post-body").inner_text()
    move(editor, "Submit for review")
    moderator.goto(f"/admin/posts/post/{Post.objects.get(slug=SLUG).pk}/change/")
    move(moderator, "Approve and publish")
    reader.reload()
    assert "An unreviewed sentence." in reader.locator("#post-body").inner_text()


def test_the_second_of_two_editors_keeps_their_text_when_refused(open_as, people):
    author = open_as("ada")
    author.goto("/admin/posts/post/add/")
    author.fill("#id_title", "Vitamin D and sleep")
    author.fill("#id_body", "First words.")
    author.get_by_role("button", name="Save and continue editing").click()
    author.wait_for_url("**/change/")
    editor = open_as("mo")
    editor.goto(author.url)

    author.fill("#id_body", "The author's words.")
    author.get_by_role("button", name="Save and continue editing").click()
    author.wait_for_url("**/change/")
    editor.fill("#id_body", "The moderator's words.")
    editor.get_by_role("button", name="Save and continue editing").click()

    editor.locator(".errorlist.nonfield").wait_for()
    assert "was changed by ada" in editor.locator(".errorlist.nonfield").inner_text()
    assert editor.input_value("#id_body") == "The moderator's words."
    shot(editor, "7-conflict")
    assert Post.objects.get(slug=SLUG).latest_revision.body == "The author's words."


def published(people) -> Post:
    author, moderator = people["Author"], people["Moderator"]
    post = workflow.create(by=author, content=Content("Vitamin D and sleep", SLUG, "Live words.", tags=("Sleep",)))
    workflow.submit(post, by=author)
    return workflow.approve(post, by=moderator)


def save_and_continue(page) -> None:
    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_load_state()


def test_an_editor_saves_a_waiting_change_to_a_live_post_again_and_again(open_as, people):
    post = published(people)
    editor = open_as("ed")
    editor.goto(f"/admin/posts/post/{post.pk}/change/")

    for n in range(1, 4):
        editor.fill("#id_body", f"Waiting words, take {n}.")
        save_and_continue(editor)
        assert editor.locator(".messagelist .success").count() == 1, editor.content()[:3000]
        assert editor.input_value("#id_body") == f"Waiting words, take {n}."
        assert editor.input_value("#id_tags") == "Sleep"

    assert "Readers still see the live revision" in editor.locator(".workflow").inner_text()
    shot(editor, "8-waiting-change-saved-three-times")
    post.refresh_from_db()
    assert (post.body, post.latest_revision.body) == ("Live words.", "Waiting words, take 3.")
    assert post.revisions.count() == 4


def test_the_second_editor_saves_again_over_a_conflict_and_keeps_their_text(open_as, people):
    post = published(people)
    editor, moderator = open_as("ed"), open_as("mo")
    editor.goto(f"/admin/posts/post/{post.pk}/change/")
    moderator.goto(f"/admin/posts/post/{post.pk}/change/")

    editor.fill("#id_body", "The editor's words.")
    save_and_continue(editor)
    moderator.fill("#id_body", "The moderator's words.")
    save_and_continue(moderator)
    assert "was changed by ed" in moderator.locator(".errorlist.nonfield").inner_text()
    shot(moderator, "9-conflict-before-saving-again")
    save_and_continue(moderator)

    assert moderator.locator(".errorlist").count() == 0, moderator.content()[:3000]
    assert moderator.locator(".messagelist .success").count() == 1
    assert moderator.input_value("#id_body") == "The moderator's words."
    shot(moderator, "10-conflict-saved-again")
    assert Post.objects.get(pk=post.pk).latest_revision.body == "The moderator's words."
