"""A reader in a real Chromium: a legacy URL lands on the post, and the post reads well."""

from pathlib import Path

import pytest
from django.conf import settings

from posts.legacy.importer import import_dump

from .conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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
    page.goto(long_post_with_sections())
    link = page.locator("nav.toc a").nth(2)
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
    featured, newest = (page.locator(selector).bounding_box() for selector in (".featured", ".newest"))
    if width < 960:  # a phone leads with Top news and the categories, in one row of chips
        assert featured["y"] < newest["y"]
        chips = page.locator(".sidebar .counts li").all()
        assert len({round(chip.bounding_box()["y"]) for chip in chips}) == 1
    else:  # beside the newest posts
        assert featured["x"] > newest["x"] + newest["width"] - 1
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
    assert page.get_by_role("searchbox").count() == 1  # the page's own form, not the header's too
    assert first.bounding_box()["y"] < 450  # the first result on the first screen, phones too
    screenshot("5-search")

    response = page.goto("/tiki-index.php?page_id=15008")
    assert response.ok and response.request.redirected_from.url.endswith("page_id=15008")
    assert page.url.endswith("/posts/recurrent-miscarriages-decreased-by-increased-vitamin-d-levels/")


@pytest.mark.parametrize("width,name", [(390, "phone"), (1280, "desktop")])
def test_a_reader_who_mistypes_a_search_is_offered_the_word_meant_and_close_titles(page, width, name):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/search/")
    search_box = page.get_by_role("searchbox")
    search_box.fill("recurent miscarriages")
    search_box.press("Enter")
    page.wait_for_url("**/search/?q=*")

    offer = page.locator(".did-you-mean")
    assert offer.inner_text() == "Did you mean recurrent miscarriages?"
    assert offer.bounding_box()["y"] < 450  # seen without scrolling, phones too
    close = page.locator(".close-titles").get_by_role("link")
    assert "Recurrent miscarriages decreased by increased Vitamin D levels" in close.all_inner_texts()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"reader-10-search-typo-{name}.png", full_page=True)

    offer.get_by_role("link").click()
    page.wait_for_url("**/search/?q=recurrent+miscarriages")
    first = page.locator(".search-results .post-item h2").first
    assert first.inner_text() == "Recurrent miscarriages decreased by increased Vitamin D levels"
    assert page.locator(".did-you-mean").count() == 0


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


@pytest.mark.parametrize("width,name", [(390, "phone"), (1280, "desktop")])
def test_a_reader_finds_a_tag_by_its_initial_or_by_typing_part_of_it(page, width, name):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/tags/")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"reader-6-tags-{name}.png", full_page=False)
    every = page.locator(".tag-group li").count()

    page.locator("nav.initials").get_by_role("link", name="P", exact=True).click()
    assert page.url.endswith("#tags-P")
    expect(page.locator("#tags-P-heading")).to_be_in_viewport()

    page.fill("#tag-filter", "PREGN")
    shown = page.locator(".tag-group li:visible")
    names = [name.lower() for name in shown.locator("a").all_inner_texts()]
    assert names and all("pregn" in name for name in names)
    expect(page.locator(".tag-filter-count")).to_have_text(f"{len(names)} tag" + ("s" if len(names) > 1 else ""))
    initials = page.locator(".tag-group:visible h2").all_inner_texts()
    assert "P" in initials and len(initials) < page.locator(".tag-group").count()  # the others hidden
    expect(page.locator("nav.initials")).to_be_hidden()  # its links would lead to hidden groups
    assert all(page.locator(f"#tags-{initial} li:visible").count() for initial in initials)
    page.screenshot(path=SCREENSHOTS / f"reader-7-tags-filtered-{name}.png", full_page=False)

    page.fill("#tag-filter", "")
    expect(page.locator(".tag-group li:visible")).to_have_count(every)
    expect(page.locator("nav.initials")).to_be_visible()


@pytest.mark.parametrize("width,name", [(390, "phone"), (1280, "desktop")])
def test_the_archive_grid_fits_the_screen_and_leads_to_a_month(page, width, name):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/archive/")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"reader-8-archive-{name}.png", full_page=False)
    month = page.locator(".archive-months a").first
    label = month.get_attribute("aria-label")  # "Mar 2024: 2 posts"
    href = month.get_attribute("href")
    with page.expect_navigation():
        month.click()
    assert page.url.endswith(href)
    assert page.locator(".post-item").count() == int(label.split(": ")[1].split()[0])


def long_post_with_sections(slug: str = "sections", sections: int = 6) -> str:
    from .factories import make_post

    words = " ".join(f"word{n}" for n in range(400))
    parts = []
    for n in range(1, sections + 1):
        parts += [f"## Part {n}", words, f"### Part {n} detail", words]
    make_post(slug, title="A post in parts", body="{{< toc >}}\n\n" + "\n\n".join(parts))
    return f"/posts/{slug}/"


def test_on_a_wide_screen_the_contents_stay_beside_the_post_marking_the_section_read(page):
    url = long_post_with_sections()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(url)
    side = page.locator(".post-side nav.toc")
    from playwright.sync_api import expect

    expect(side).to_be_visible()
    assert side.bounding_box()["x"] > page.locator("#post-body").bounding_box()["x"] + 600
    assert page.locator(".post-side li.is-folded").count() == 6  # every detail folded before reading

    page.evaluate("document.getElementById('part-4').scrollIntoView({block: 'start'}); window.scrollBy(0, 200)")
    current = page.locator('.post-side a[aria-current="location"]')
    expect(current).to_have_text("Part 4")
    assert 0 <= side.bounding_box()["y"] < 900  # still in view
    expect(page.locator(".post-side li:not(.is-folded) > a", has_text="Part 4 detail")).to_be_visible()
    expect(page.locator(".post-side a", has_text="Part 2 detail")).to_be_hidden()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "reader-9-contents-desktop.png", full_page=False)


def test_on_a_phone_the_contents_fold_behind_one_line_and_a_short_list_is_not_shown(page):
    from playwright.sync_api import expect

    from .factories import make_post

    url = long_post_with_sections()
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(url)
    fold = page.locator("details.contents")
    expect(fold.locator("summary")).to_have_text("Contents (12 sections)")
    expect(fold.locator("nav.toc")).to_be_hidden()
    assert page.locator("#part-1").bounding_box()["y"] < 900  # the text starts on the first screen
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "reader-9-contents-phone.png", full_page=False)
    fold.locator("summary").click()
    expect(fold.locator("nav.toc")).to_be_visible()

    make_post("short", body="{{< toc >}}\n\n## One\n\nText.\n\n## Two\n\nText.")
    page.goto("/posts/short/")
    expect(page.locator("nav.toc")).to_be_hidden()
    expect(page.locator("details.contents")).to_have_count(0)
