"""Attacks tried in a real Chromium: every XSS vector (tests/xss.py) written by an Author in the admin
editor, reviewed and approved by a Moderator, then loaded wherever it shows (the live preview, the
staff preview, the review queue, the comparison, the public page, the feeds as a feed reader shows
them) and imported from a dump; and a password guessed thirty times. Any script that runs, any
dialog and any Content-Security-Policy violation (tests/conftest.py) fails the test."""

import html
import xml.etree.ElementTree as ET

import pytest
from axes.models import AccessAttempt

from posts.legacy.importer import import_dump
from posts.models import Post

from .conftest import SCREENSHOTS, log_in
from .factories import PASSWORD, make_user
from .xss import XSS_VECTORS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Before any page script: alert and its kin only record that they were called. (Not eval, which
# Playwright's own evaluation goes through; a vector calling it is a handler, found by the checks.)
RECORD_SCRIPT_CALLS = """
window.__scriptRan = [];
for (const name of ["alert", "confirm", "prompt", "print"]) {
    window[name] = (...args) => { window.__scriptRan.push(`${name}(${args.map(String).join(", ")})`); };
}
"""
TITLE = "XSS <img src=x onerror=alert('title')></script><script>alert('title')</script>"
TAG = "<svg onload=alert('tag')>"
SLUG = "xss-vectors"
ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"


def hostile_body() -> str:
    return "\n\n".join(
        f"Vector {number}:\n\n{vector}\n\nAfter vector {number}." for number, vector in enumerate(XSS_VECTORS)
    )


@pytest.fixture
def people(roles):
    return {role: make_user(role, name) for role, name in [("Author", "ada"), ("Moderator", "mo")]}


@pytest.fixture
def open_as(browser, live_server, people):
    """A page as a person: logged in through the login form, recording any script call or dialog."""
    contexts, dialogs = [], []

    def open_as(username: str | None):
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        context.add_init_script(RECORD_SCRIPT_CALLS)
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        if username:
            log_in(page, username)
        return page

    open_as.dialogs = dialogs
    yield open_as
    assert dialogs == []
    for context in contexts:
        context.close()


def assert_no_script_ran(page, where: str, scope: str) -> None:
    """No script call was recorded in the page, and its `scope`, where the hostile text shows,
    holds no handler, no script URL and no element that could run or load code."""
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__scriptRan") == [], where
    dangerous = page.evaluate(
        """(scope) => [...document.querySelector(scope).querySelectorAll("*")].flatMap(element =>
            [...element.attributes].filter(attribute => /^on/i.test(attribute.name)
                || (/^(href|src|action|formaction|xlink:href|data)$/i.test(attribute.name)
                    && /^\\s*(javascript|data|vbscript):/i.test(attribute.value))
            ).map(attribute => `${element.tagName} ${attribute.name}=${attribute.value}`)
        ).concat([...document.querySelector(scope).querySelectorAll(
            "script, iframe, object, embed, svg, math, base, meta, link, style")].map(e => e.outerHTML))""",
        scope,
    )
    assert dangerous == [], where


def assert_every_vector_shown_after(page, scope: str) -> None:
    text = page.locator(scope).inner_text()
    assert [number for number in range(len(XSS_VECTORS)) if f"After vector {number}." not in text] == []


def test_every_vector_written_in_the_admin_stays_inert_wherever_it_shows(open_as):
    author = open_as("ada")
    author.goto("/admin/posts/post/add/")
    author.fill("#id_slug", SLUG)  # first: typed by hand, it is not made from the title any more
    author.fill("#id_title", TITLE)
    for tag in (TAG, "Zinc"):  # as chips
        author.fill("#id_tags-entry", tag)
        author.press("#id_tags-entry", "Enter")
    author.fill("#id_body", hostile_body())
    preview = author.locator(".markdownx-preview")
    preview.get_by_text(f"After vector {len(XSS_VECTORS) - 1}.").wait_for()
    assert_every_vector_shown_after(author, ".markdownx-preview")
    assert_no_script_ran(author, "the live preview", ".markdownx-preview")
    author.get_by_role("button", name="Save and continue editing").click()
    author.wait_for_url("**/change/")
    author.fill("#id_body", author.input_value("#id_body") + "\n\n<img src=x onerror=alert('second')>\n")
    author.get_by_role("button", name="Save and continue editing").click()
    author.wait_for_url("**/change/")
    author.get_by_role("button", name="Submit for review", exact=True).click()
    author.wait_for_load_state()
    assert_no_script_ran(author, "the edit page", ".markdownx-preview")
    post = Post.objects.get(slug=SLUG)

    moderator = open_as("mo")
    moderator.goto("/admin/posts/postinreview/")
    assert moderator.get_by_text(TITLE).count() == 1
    assert_no_script_ran(moderator, "the review queue", "#result_list")
    moderator.goto(f"/admin/posts/post/{post.pk}/preview/")
    assert_every_vector_shown_after(moderator, "#post-body")
    assert_no_script_ran(moderator, "the staff preview", "#main")
    moderator.goto(f"/admin/posts/post/{post.pk}/change/")
    moderator.get_by_role("link", name="History").click()
    moderator.get_by_role("button", name="Compare the chosen revisions").click()
    assert "onerror=alert('second')" in "".join(moderator.locator("table.diff ins").all_inner_texts())
    assert_no_script_ran(moderator, "the comparison", "table.diff")
    moderator.screenshot(path=SCREENSHOTS / "xss-compare.png", full_page=True)
    moderator.goto(f"/admin/posts/post/{post.pk}/change/")
    moderator.get_by_role("button", name="Approve and publish", exact=True).click()
    moderator.wait_for_load_state()
    assert moderator.locator(".workflow h2").inner_text().startswith("State: published")
    moderator.goto(f"/admin/posts/post/{post.pk}/history/")
    assert_no_script_ran(moderator, "the history", "#content-main")

    reader = open_as(None)
    reader.goto(f"/posts/{SLUG}/")
    assert reader.locator("h1").inner_text() == TITLE
    assert_every_vector_shown_after(reader, "#post-body")
    assert_no_script_ran(reader, "the public page", "#main")
    reader.screenshot(path=SCREENSHOTS / "xss-public-page.png", full_page=True)
    for url in ("/tags/zinc/", "/search/?q=vector", "/"):
        reader.goto(url)
        assert_no_script_ran(reader, url, "#main")

    feed_reader = open_as(None)
    tag_slug = Post.objects.get(slug=SLUG).tags.get(name=TAG).slug
    for url in ("/feed/", "/feed/atom/", "/tags/zinc/feed/", f"/tags/{tag_slug}/feed/atom/"):
        entries = entries_html(feed_reader.request.get(url).body())
        assert len(entries) == 1, url
        title, content = entries[0]
        # A feed reader shows the item in a page of its own, with no policy of ours to protect it.
        feed_reader.set_content(f"<!doctype html><h1>{title}</h1><article>{content}</article>")
        assert_every_vector_shown_after(feed_reader, "article")
        assert_no_script_ran(feed_reader, f"the feed {url}", "body")


def entries_html(feed: bytes) -> list[tuple[str, str]]:
    """(title, content) of each entry, as HTML, the way a feed reader reads RSS and Atom."""
    root = ET.fromstring(feed)
    if root.tag == f"{ATOM}feed":
        # An Atom title is text; RSS's is HTML.
        return [
            (html.escape(entry.findtext(f"{ATOM}title")), entry.findtext(f"{ATOM}content"))
            for entry in root.iter(f"{ATOM}entry")
        ]
    return [(item.findtext("title"), item.findtext(CONTENT)) for item in root.iter("item")]


def test_every_vector_imported_from_a_dump_stays_inert_on_the_page(open_as, tmp_path):
    dump = tmp_path / "dump"
    dump.mkdir()
    front = '{"title": "XSS <img src=x onerror=alert(1)>", "date": "2024-01-01", "tags": ["<svg onload=alert(1)>"]}'
    (dump / f"{SLUG}.md").write_text(f"{front}\n\n{hostile_body()}")
    assert import_dump(dump).ok

    reader = open_as(None)
    reader.goto(f"/posts/{SLUG}/")
    assert reader.locator("h1").inner_text() == "XSS <img src=x onerror=alert(1)>"
    assert_every_vector_shown_after(reader, "#post-body")
    assert_no_script_ran(reader, "the imported post's page", "#main")


def test_thirty_wrong_passwords_lock_the_login_until_an_admin_unlocks_it(browser, live_server, people, admin_user):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()

    def try_password(password: str) -> None:
        page.goto("/admin/login/?next=/admin/")
        page.fill("#id_username", "ada")
        page.fill("#id_password", password)
        page.click("input[type=submit]")
        page.wait_for_load_state()

    for _ in range(30):
        try_password("wrong")
    try_password(PASSWORD)
    message = page.locator("#lockout-message").inner_text()
    assert "Too many failed logins for “ada” from your address" in message
    assert "locked for 30 minutes" in message
    page.screenshot(path=SCREENSHOTS / "login-locked.png", full_page=True)
    page.goto("/admin/")
    assert "/admin/login/" in page.url

    admin = browser.new_context(base_url=live_server.url).new_page()
    admin.goto("/admin/login/?next=/admin/")
    admin.fill("#id_username", admin_user.username)
    admin.fill("#id_password", "password")
    admin.click("input[type=submit]")
    admin.wait_for_url("**/admin/")
    admin.goto("/admin/axes/accessattempt/")
    admin.locator("input[name=_selected_action]").check()
    admin.select_option("select[name=action]", "delete_selected")
    admin.get_by_role("button", name="Go").click()
    admin.get_by_role("button", name="Yes, I’m sure").click()
    admin.wait_for_load_state()
    assert not AccessAttempt.objects.exists()

    try_password(PASSWORD)
    page.wait_for_url("**/admin/")
    assert page.locator("#user-tools").inner_text().upper().startswith("WELCOME, ADA")
    admin.context.close()
    context.close()
