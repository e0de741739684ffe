"""Merging categories in a real Chromium, at 1280 and 390 px wide: from the category list's action
to the page choosing the one to keep, the confirmation with its counts, and the merge. Screenshots
are saved in test-results/."""

import pytest

from posts.models import Category, Post

from .conftest import SCREENSHOTS
from .factories import make_post, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [1280, 390]
KEPT, OLD = "Meta-analysis", "Meta-analysis of Vitamin D and the risk of respiratory infections"


def shot(page, name: str, width: int) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"category-merge-{name}-{width}.png", full_page=True)


def fits_the_screen(page, width: int) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", WIDTHS)
def test_a_moderator_merges_two_categories_after_seeing_what_moves(open_as, roles, width):
    make_post("only-kept", categories=[KEPT])
    make_post("only-old", categories=[OLD])
    make_post("in-both", categories=[KEPT, OLD])
    make_post("also-old", categories=[OLD])
    make_user("Moderator", "mo")
    page = open_as("mo", width)
    page.goto("/admin/posts/category/")

    for name in [KEPT, OLD]:
        page.locator("#result_list tr", has_text=name).first.locator("input.action-select").check()
    page.select_option("select[name=action]", "merge_selected")
    page.click("button[name=index]")
    page.wait_for_url("**/admin/posts/category/merge/?ids=*")
    assert fits_the_screen(page, width)
    shot(page, "choose", width)

    page.locator("tr", has_text=KEPT).filter(has_not_text=OLD).locator("input[name=into]").check()
    page.click("input[type=submit]")
    count = page.locator(".bulk-count")
    assert count.inner_text() == f"2 posts will move to “{KEPT}”; 1 is in it already."
    assert fits_the_screen(page, width)
    shot(page, "confirm", width)

    page.click("input[type=submit]")
    page.wait_for_url("**/admin/posts/category/")
    assert page.locator(".messagelist .success").inner_text().startswith(f"Merged “{OLD}” into “{KEPT}”")
    assert list(Category.objects.values_list("name", flat=True)) == [KEPT]
    assert Post.categories.through.objects.filter(category__name=KEPT).count() == 4


def test_an_editor_renames_a_category_and_readers_find_its_posts_by_the_new_name_only(open_as, roles):
    make_post("zinc", title="Zinc and copper", body="Minerals.", categories=["Quuxolin"])
    make_user("Editor", "ed")
    reader = open_as(None)
    reader.goto("/search/?q=quuxolin")
    assert reader.locator(".search-results a", has_text="Zinc and copper").count() == 1

    page = open_as("ed")
    page.goto(f"/admin/posts/category/{Category.objects.get(name='Quuxolin').pk}/change/")
    page.fill("input[name=name]", "Dribbleflax")
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/posts/category/")

    reader.goto("/search/?q=dribbleflax")
    assert reader.locator(".search-results a", has_text="Zinc and copper").count() == 1
    reader.goto("/search/?q=quuxolin")
    assert reader.locator(".search-results a", has_text="Zinc and copper").count() == 0
