"""The post list and the editors' tools in a real Chromium, at 1280 and 390 px wide: the list fits
the screen, its filters are drop-downs, a row's link is copied, the Markdown is searched, and tags
are changed on many posts after a confirmation. Screenshots are saved in test-results/."""

import pytest
from playwright.sync_api import expect

from posts import workflow
from posts.models import Post

from .conftest import SCREENSHOTS
from .factories import make_post, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [1280, 390]
LONG_TITLE = "Vitamin D supplementation and the risk of respiratory infections in children: a meta-analysis"


@pytest.fixture
def posts(roles):
    categories = [f"Category {n:02}" for n in range(40)]
    made = [make_post("long-title", title=LONG_TITLE, body="Intro\n\n{maketoc}\n\nText", categories=["Health"])]
    for n in range(12):
        body = f"Post {n} text.\n\n{{img src=chart-{n}.png}}\n" if n % 2 else f"Post {n} plain text."
        made.append(make_post(f"post-{n}", title=f"Vitamin D study {n}", body=body, categories=[categories[n]]))
    make_post("gone", title="A deleted post", status=Post.Status.DELETED)
    return made


def shot(page, name: str, width: int) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"lists-{name}-{width}.png", full_page=True)


def fits_the_screen(page, width: int) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", WIDTHS)
def test_the_post_list_fits_the_screen_with_the_title_readable(open_as, posts, roles, width):
    make_user("Moderator", "mo")
    page = open_as("mo", width)
    page.goto("/admin/posts/post/")

    title = page.locator("#result_list .field-title", has_text=LONG_TITLE)
    assert title.bounding_box()["width"] >= (400 if width == 1280 else 250)
    assert page.locator("#result_list", has_text="A deleted post").count() == 0
    assert fits_the_screen(page, width)
    shot(page, "post-list", width)

    # The category filter is a drop-down narrowed by typing.
    page.fill(".select-filter .filter-box", "Category 07")
    visible = page.locator("#filter-categories option:not([hidden])").all_inner_texts()
    assert visible == ["All", "Category 07"]
    page.select_option("#filter-categories", label="Category 07")
    page.wait_for_url("**categories__id__exact=*")
    assert page.locator("#result_list tbody tr").count() == 1
    assert fits_the_screen(page, width)


def test_a_rows_link_is_copied_as_markdown_and_as_html_from_the_keyboard(open_as, posts, roles):
    make_user("Editor", "ed")
    page = open_as("ed", 1280)
    page.goto("/admin/posts/post/?q=respiratory")

    button = page.get_by_role("button", name=f"Copy the link to “{LONG_TITLE}” as Markdown")
    button.focus()
    page.keyboard.press("Enter")
    page.locator(".copy-link button.copied").wait_for()
    origin = page.evaluate("location.origin")
    assert page.evaluate("navigator.clipboard.readText()") == f"[{LONG_TITLE}]({origin}/posts/long-title/)"
    page.get_by_role("button", name=f"Copy the link to “{LONG_TITLE}” as HTML").click()
    page.wait_for_function("() => navigator.clipboard.readText().then(text => text.startsWith('<a'))")
    html = page.evaluate("navigator.clipboard.readText()")
    assert html == f'<a href="{origin}/posts/long-title/">{LONG_TITLE}</a>'


@pytest.mark.parametrize("width", WIDTHS)
def test_the_markdown_search_shows_each_match_in_context(open_as, posts, roles, width):
    make_user("Editor", "ed")
    page = open_as("ed", width)
    page.goto("/admin/posts/post/")
    page.get_by_role("link", name="Search the Markdown").click()
    page.fill("#id_q", "{img src=")
    page.fill("#id_exclude", "chart-11")
    page.get_by_role("button", name="Search").click()

    assert "5 posts" in page.locator(".result-count").inner_text()
    assert page.locator(".snippet mark").first.inner_text() == "{img src="
    assert page.locator(".source-matches", has_text="Vitamin D study 11").count() == 0
    assert fits_the_screen(page, width)
    shot(page, "source-search", width)
    page.locator(".source-matches h3 a").first.click()
    page.wait_for_url("**/change/")


@pytest.mark.parametrize("width", WIDTHS)
def test_tags_are_added_to_the_chosen_posts_after_a_confirmation(open_as, posts, roles, width):
    make_user("Moderator", "mo")
    page = open_as("mo", width)
    page.goto("/admin/posts/post/?q=study")
    page.locator("#action-toggle").check()
    page.select_option("select[name=action]", "change_tags_selected")
    page.get_by_role("button", name="Go").click()

    page.fill("#id_add", "Children, Respiratory")
    page.get_by_label("Vitamin D study 3").uncheck()
    assert fits_the_screen(page, width)
    shot(page, "bulk-tags-choose", width)
    page.get_by_role("button", name="Next: check the change").click()
    assert "11 of the 11 posts will change" in page.locator(".bulk-count").inner_text()
    assert fits_the_screen(page, width)
    shot(page, "bulk-tags-confirm", width)
    page.get_by_role("button", name="Yes, change 11 posts").click()

    assert "11 posts changed" in page.locator(".bulk-count").inner_text()
    shot(page, "bulk-tags-done", width)
    tagged = Post.objects.filter(tags__name="Children").values_list("slug", flat=True)
    assert sorted(tagged) == sorted(f"post-{n}" for n in range(12) if n != 3)


def test_tags_on_more_posts_than_a_request_changes_are_changed_in_the_background(open_as, posts, roles, monkeypatch):
    from posts import bulk_tags

    from .test_tasks import run_worker

    monkeypatch.setattr(bulk_tags, "MAX_POSTS", 5)  # the live server runs in this process
    make_user("Moderator", "mo")
    page = open_as("mo", 1280)
    page.goto("/admin/posts/post/?q=study")
    page.locator("#action-toggle").check()
    page.select_option("select[name=action]", "change_tags_selected")
    page.get_by_role("button", name="Go").click()
    page.fill("#id_add", "Children")
    page.get_by_role("button", name="Next: check the change").click()
    expect(page.locator(".bulk-background")).to_contain_text("the change will run in the background")
    page.get_by_role("button", name="Yes, change 12 posts").click()

    expect(page.locator("#content")).to_contain_text("12")
    assert not Post.objects.filter(tags__name="Children").exists()
    run_worker()
    # The page follows the run by itself.
    expect(page.locator(".bulk-count")).to_contain_text("12 posts changed", timeout=10_000)
    shot(page, "bulk-tags-background-done", 1280)
    assert Post.objects.filter(tags__name="Children").count() == 12


def test_a_bulk_publish_says_how_many_posts_before_it_moves_them(open_as, roles):
    make_user("Moderator", "mo")
    for n in range(3):
        make_post(f"draft-{n}", title=f"Draft {n}", status=Post.Status.DRAFT)
    page = open_as("mo", 1280)
    page.goto("/admin/posts/post/")
    page.locator("#action-toggle").check()
    page.select_option("select[name=action]", "publish_selected")
    page.get_by_role("button", name="Go").click()

    assert "3 posts" in page.locator(".bulk-count").inner_text()
    assert Post.objects.published().count() == 0
    shot(page, "confirm-publish", 1280)
    page.get_by_role("button", name="Yes, 3 posts").click()
    page.wait_for_url("**/admin/posts/post/")
    assert Post.objects.published().count() == 3


def test_a_note_is_added_on_the_edit_page(open_as, posts, roles):
    make_user("Editor", "ed")
    page = open_as("ed", 1280)
    page.goto(f"/admin/posts/post/{posts[0].pk}/change/")
    page.fill("#id_note_text", "Ask Dr. Grant about the 2019 figures.")
    page.get_by_role("button", name="Add note").click()
    page.wait_for_url("**/change/#notes")

    assert "Ask Dr. Grant" in page.locator("#notes .note").inner_text()
    page.locator("#notes").screenshot(path=SCREENSHOTS / "lists-notes-1280.png")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_audit_logs_comment_column_is_not_cut_off(open_as, roles, width):
    moderator = make_user("Moderator", "mo")
    post = make_post("draft", title="A draft", status=Post.Status.DRAFT)
    comment = "Please cite the 2019 randomised trial and give the dose in IU per day, not per week. " * 3
    workflow.submit(post, by=moderator)
    workflow.send_back(post, by=moderator, comment=comment)
    page = open_as("mo", width)
    page.goto("/admin/posts/postaction/")

    cell = page.locator("#result_list td.field-comment").first
    assert cell.inner_text().strip() == comment.strip()
    shown = "cell => cell.getBoundingClientRect().right <= cell.closest('.results').getBoundingClientRect().right"
    assert cell.evaluate(shown) and cell.evaluate("cell => cell.scrollWidth <= cell.clientWidth")
    assert fits_the_screen(page, width)
    shot(page, "audit-log", width)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_moderator_turns_an_address_not_found_into_an_alias_with_one_click(open_as, roles, live_server, width):
    moderator = make_user("Moderator", "mo")
    post = workflow.create(by=moderator, content=workflow.Content("Vitamin D and sleep quality", "sleep", "Words."))
    workflow.publish(post, by=moderator)
    reader = open_as(None, width)
    reader.goto("/Vitamin+D+and+sleep+quallity")  # a reader's 404
    reader.goto("/Vitamin+D+and+sleep+quallity")
    expect(reader.locator("h1")).to_contain_text("not found")

    page = open_as("mo", width)
    page.goto("/admin/posts/notfound/")
    row = page.locator("#result_list tbody tr").first
    expect(row).to_contain_text("/vitamin d and sleep quallity")
    expect(row.locator(".field-hits")).to_have_text("2")
    shot(page, "not-found", width)
    assert fits_the_screen(page, width)
    row.get_by_role("button", name="Vitamin D and sleep quality").click()
    expect(page.locator(".messagelist .success")).to_contain_text("now leads to “Vitamin D and sleep quality”")
    expect(page.locator("#result_list")).to_have_count(0)  # the list is empty now

    reader.goto("/Vitamin+D+and+sleep+quallity")
    assert reader.url.endswith("/posts/sleep/")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_broken_links_report_names_the_post_the_text_and_the_address(open_as, roles, live_server, width):
    moderator = make_user("Moderator", "mo")
    body = "Read [the sleep study](/posts/sleep-study-2019/) and [the tag](/tags/no-such-tag/)."
    post = workflow.create(by=moderator, content=workflow.Content("Vitamin D and mood", "mood", body))
    workflow.publish(post, by=moderator)

    page = open_as("mo", width)
    page.goto("/admin/")
    page.get_by_role("link", name="Broken links").first.click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Vitamin D and mood")
    expect(rows.first).to_contain_text("the sleep study")
    expect(rows.first).to_contain_text("/posts/sleep-study-2019/")
    shot(page, "broken-links", width)
    assert fits_the_screen(page, width)
    rows.first.get_by_role("link", name="Vitamin D and mood").click()
    page.wait_for_url(f"**/admin/posts/post/{post.pk}/change/")
