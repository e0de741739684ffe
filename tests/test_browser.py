"""A reader in a real Chromium: a legacy URL lands on the post, and the post reads well."""

import os
from pathlib import Path

import pytest
from django.conf import settings

from posts.importer import import_dump

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(settings.BASE_DIR) / "test-results"


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API runs an event loop in this thread; the ORM calls in these tests are
    # ordinary synchronous ones, made between browser steps.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    import_dump(Path(settings.BASE_DIR) / "fixtures" / "legacy")
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.parametrize("width,name", [(390, "phone"), (1280, "desktop")])
def test_a_reader_follows_an_old_wiki_link_to_the_post(page, width, name):
    page.set_viewport_size({"width": width, "height": 900})
    response = page.goto(
        "/tiki-index.php?page=Recurrent+miscarriages+decreased+by+increased+Vitamin+D+levels+-+Jan+2024"
    )

    assert response.ok
    assert page.url.endswith("/posts/recurrent-miscarriages-decreased-by-increased-vitamin-d-levels/")
    assert page.locator("h1").inner_text() == "Recurrent miscarriages decreased by increased Vitamin D levels"
    body = page.locator("#post-body")
    assert "recurrent spontaneous abortion" in body.inner_text()
    assert page.locator("nav.toc a").count() >= 1
    assert "{FONT" not in body.inner_text()
    image_box = page.locator("#post-body img").first.bounding_box()
    assert image_box["width"] <= width
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"post-{name}.png", full_page=False)


def test_the_table_of_contents_jumps_to_its_heading(page):
    page.goto("/posts/recurrent-miscarriages-decreased-by-increased-vitamin-d-levels/")
    link = page.locator("nav.toc a").first
    target = link.get_attribute("href")
    link.click()
    assert page.url.endswith(target)
    assert page.locator(target).is_visible()
