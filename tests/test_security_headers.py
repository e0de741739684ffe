"""Content-Security-Policy on every page, public and admin, and the browser tests' check for its
violations (tests/conftest.py)."""

import pytest

from posts import workflow
from posts.workflow import Content

from .factories import make_user

pytestmark = pytest.mark.django_db

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' https:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def policy_of(response) -> dict:
    directives = (directive.strip().split(" ", 1) for directive in response["Content-Security-Policy"].split(";"))
    return {name: value for name, value in directives}


@pytest.fixture
def published(db):
    editor, moderator = make_user("Editor", "ed"), make_user("Moderator", "mo")
    post = workflow.create(by=editor, content=Content("A post", "a-post", "Words.", tags=("Zinc",)))
    return workflow.publish(post, by=moderator)


PUBLIC = ["/", "/posts/", "/posts/a-post/", "/categories/", "/tags/", "/tags/zinc/", "/search/?q=words", "/no-such/"]
ADMIN = ["/admin/login/", "/admin/", "/admin/posts/post/", "/admin/posts/post/add/", "/admin/posts/postinreview/"]


@pytest.mark.parametrize("url", PUBLIC)
def test_every_public_page_carries_the_strict_policy(client, published, url):
    for _ in range(2):  # rendered, then from the page cache
        assert policy_of(client.get(url)) == POLICY, url


@pytest.mark.parametrize("url", ADMIN)
def test_every_admin_page_carries_the_strict_policy(client, published, url):
    if url != "/admin/login/":
        client.force_login(make_user("Admin", "root"))
    assert policy_of(client.get(url)) == POLICY, url


PROBE = "<p>probe</p><script>document.title = 'ran'</script><img src=x onerror=\"document.title = 'ran'\">"


@pytest.mark.browser
def test_the_browser_tests_see_a_violation(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    headers = {"Content-Security-Policy": "script-src 'self'"}
    page.route("**/csp-probe/", lambda route: route.fulfill(content_type="text/html", headers=headers, body=PROBE))
    page.goto("/csp-probe/")
    page.wait_for_load_state("networkidle")
    assert page.title() != "ran"
    context.close()
    assert [text for text in browser.violations if text.startswith("script-src")], browser.violations
    browser.violations.clear()  # seen on purpose: the check after each browser test must not fail this one
