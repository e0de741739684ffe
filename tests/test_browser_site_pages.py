"""Site pages in a real Chromium, at 1280 and 390 px wide: the home page with its introduction,
an About page reached from the footer. Screenshots are saved in test-results/."""

import pytest

from posts import workflow
from posts.models import Post

from .conftest import SCREENSHOTS
from .factories import make_posts, workflow_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [1280, 390]
INTRODUCTION = (
    "**VitaminDWiki** gathers medical research about vitamin D: new studies, overviews and what they"
    " mean. Start with the [newest posts](/posts/) or the [categories](/categories/)."
)
ABOUT = (
    "VitaminDWiki collects research news about vitamin D since 2008.\n\n"
    "## Who writes it\n\nVolunteers write and review every post; none of it is medical advice."
)


def publish_page(kind, path, title, body):
    by = workflow_user()
    content = workflow.Content(title, f"page-{title.lower().replace(' ', '-')}", body)
    page = workflow.create(by=by, content=content, post=Post(kind=kind, path=path))
    return workflow.publish(page, by=by)


@pytest.fixture
def site(roles):
    make_posts(6)
    publish_page(Post.Kind.HOME_INTRODUCTION, "", "Home page introduction", INTRODUCTION)
    publish_page(Post.Kind.PAGE, "/about/", "About VitaminDWiki", ABOUT)
    publish_page(Post.Kind.PAGE, "/contact/", "Contact", "Write to <editors@example.com>.")


def shot(page, name: str, width: int) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"site-pages-{name}-{width}.png", full_page=True)


def fits_the_screen(page, width: int) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", WIDTHS)
def test_the_home_page_opens_with_its_introduction_and_the_footer_leads_to_about(open_as, site, width):
    page = open_as(None, width)
    page.goto("/")

    introduction = page.locator("section.introduction")
    assert "gathers medical research about vitamin D" in introduction.inner_text()
    newest = page.locator("#newest-heading")
    assert introduction.bounding_box()["y"] < newest.bounding_box()["y"]
    assert fits_the_screen(page, width)
    shot(page, "home", width)

    page.locator(".site-footer").get_by_role("link", name="About VitaminDWiki").click()
    page.wait_for_url("**/about/")
    assert page.locator("h1").inner_text() == "About VitaminDWiki"
    assert "Volunteers write and review every post" in page.locator("#post-body").inner_text()
    assert page.locator(".related, .prev-next").count() == 0
    assert fits_the_screen(page, width)
    shot(page, "about", width)
