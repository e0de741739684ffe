"""A reader in a real Chromium: a legacy URL lands on the post, and the post reads well."""

from pathlib import Path

import pytest
from django.conf import settings

from posts.legacy.importer import import_dump

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(settings.BASE_DIR) / "test-results"


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


@pytest.mark.parametrize("width,name", [(390, "phone"), (1280, "desktop")])
def test_a_reader_browses_home_category_post_tag_search_and_an_old_link(page, width, name):
    def screenshot(step):
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"reader-{step}-{name}.png", full_page=True)

    def fits_the_screen():
        return page.evaluate("document.documentElement.scrollWidth") <= width

    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")
    assert page.locator(".featured h2").inner_text() == "Top news"
    assert fits_the_screen()
    screenshot("1-home")

    page.locator(".sidebar .counts").get_by_role("link", name="Pregnancy", exact=True).click()
    assert page.url.endswith("/categories/pregnancy/")
    assert page.locator("h1").inner_text() == "Pregnancy"
    titles = page.locator(".post-item h2 a").all_inner_texts()
    assert "Recurrent miscarriages decreased by increased Vitamin D levels" in titles
    assert fits_the_screen()
    screenshot("2-category")

    page.get_by_role("link", name="Recurrent miscarriages decreased by increased Vitamin D levels").click()
    assert page.url.endswith("/posts/recurrent-miscarriages-decreased-by-increased-vitamin-d-levels/")
    assert "recurrent spontaneous abortion" in page.locator("#post-body").inner_text()
    assert fits_the_screen()
    screenshot("3-post")

    page.locator("ul.tags").get_by_role("link", name="miscarriage", exact=True).click()
    assert page.url.endswith("/tags/miscarriage/")
    assert "Recurrent miscarriages decreased by increased Vitamin D levels" in page.locator(".post-list").inner_text()
    screenshot("4-tag")

    # A phrase found only in the body, typed into the header's search box.
    search_box = page.get_by_role("searchbox", name="Search posts")
    search_box.fill('"spontaneous abortion"')
    search_box.press("Enter")
    page.wait_for_url("**/search/?q=*")
    first = page.locator(".search-results .post-item").first
    assert first.locator("h2").inner_text() == "Recurrent miscarriages decreased by increased Vitamin D levels"
    marked = " ".join(first.locator("mark").all_inner_texts()).lower().split()
    assert {"spontaneous", "abortion"} <= set(marked)
    assert fits_the_screen()
    screenshot("5-search")

    response = page.goto("/tiki-index.php?page_id=15008")
    assert response.ok and response.request.redirected_from.url.endswith("page_id=15008")
    assert page.url.endswith("/posts/recurrent-miscarriages-decreased-by-increased-vitamin-d-levels/")


def test_a_keyboard_user_can_skip_to_the_content_and_sees_where_the_focus_is(page):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("element => element === document.activeElement")
    assert skip.is_visible()
    outline = skip.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline not in ("", "none")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_a_mistyped_address_suggests_the_post_meant(page):
    response = page.goto("/posts/recurent-miscariages-vitamin-d/")
    assert response.status == 404
    page.locator(".suggestions").get_by_role("link").first.click()
    assert page.url.endswith("/posts/recurrent-miscarriages-decreased-by-increased-vitamin-d-levels/")
