"""Merging categories (posts/workflow/categories.py, admin_categories.py): posts filed under the
category kept, the merged ones' addresses and feeds answering 301 to it, their names in waiting
revisions and in the dump meaning it, and the admin's pages as every role and as a forger."""

import json
import threading
import time
from datetime import timedelta
from html import unescape

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from posts import previews, workflow
from posts.legacy.importer import import_dump
from posts.links import resolvable
from posts.models import Category, CategoryAlias, Post, PostAction, Revision
from posts.search import search
from posts.workflow import categories as categories_module

from .factories import make_post, make_user, workflow_user

pytestmark = pytest.mark.django_db

MERGE = "/admin/posts/category/merge/"
CATEGORIES = "/admin/posts/category/"
KEPT, OLD = "Meta-analysis", "Meta-analysis of Vitamin D"


@pytest.fixture
def people(roles):
    return {role: make_user(role, role.lower()) for role in ("Author", "Editor", "Moderator", "Admin")}


@pytest.fixture
def pair():
    """The two near-duplicates, with a post in each and one in both."""
    kept, old = Category.objects.create(name=KEPT), Category.objects.create(name=OLD)
    make_post("only-kept", categories=[KEPT])
    make_post("only-old", title="Only old", categories=[OLD], tags=["calcifediol"])
    make_post("in-both", categories=[KEPT, OLD])
    return kept, old


def merge(merged, into):
    return workflow.merge_categories(merged, into=into, by=workflow_user())


def categories_of(slug: str) -> list[str]:
    return sorted(Post.objects.get(slug=slug).categories.values_list("name", flat=True))


def page_text(response) -> str:
    return unescape(response.content.decode())


# The merge


def test_every_post_of_a_merged_category_is_filed_under_the_kept_one_once(pair):
    kept, old = pair
    plan = merge([old], kept)

    assert (plan.moving, plan.already_in) == (1, 1)
    assert not Category.objects.filter(name=OLD).exists()
    assert categories_of("only-old") == [KEPT]
    assert categories_of("in-both") == [KEPT]
    assert categories_of("only-kept") == [KEPT]
    assert Post.categories.through.objects.filter(category=kept).count() == 3


def test_each_post_moved_is_logged_and_the_revisions_are_left_as_written(pair):
    kept, old = pair
    merge([old], kept)

    logged = PostAction.objects.filter(action=PostAction.Action.CATEGORIES)
    assert sorted(logged.values_list("post__slug", flat=True)) == ["in-both", "only-old"]
    assert all(action.comment == f"Merged “{OLD}” into “{KEPT}”." for action in logged)
    assert all(action.from_state == action.to_state == Post.Status.PUBLISHED for action in logged)
    assert Post.objects.get(slug="only-old").latest_revision.categories == [OLD]


def test_the_old_address_and_feeds_answer_301_to_the_kept_category(pair, client):
    kept, old = pair
    merge([old], kept)

    for old_url, new_url in [
        ("/categories/meta-analysis-of-vitamin-d/", "/categories/meta-analysis/"),
        ("/categories/meta-analysis-of-vitamin-d/?page=2", "/categories/meta-analysis/"),
        ("/categories/meta-analysis-of-vitamin-d", "/categories/meta-analysis/"),  # the legacy link form
        ("/categories/meta-analysis-of-vitamin-d/feed/", "/categories/meta-analysis/feed/"),
        ("/categories/meta-analysis-of-vitamin-d/feed/atom/", "/categories/meta-analysis/feed/atom/"),
    ]:
        response = client.get(old_url)
        assert (response.status_code, response["Location"]) == (301, new_url), old_url
    assert "Only old" in client.get("/categories/meta-analysis/").content.decode()
    assert "Only old" in client.get("/categories/meta-analysis/feed/").content.decode()
    assert client.get("/categories/never-was/").status_code == 404
    assert client.get("/categories/never-was").status_code == 404
    assert client.get("/categories/meta-analysis")["Location"] == "/categories/meta-analysis/"
    assert client.get("/categories/never-was/feed/").status_code == 404


def test_a_link_to_the_old_address_is_not_a_broken_link(pair):
    kept, old = pair
    merge([old], kept)

    assert resolvable(["/categories/meta-analysis-of-vitamin-d/", "/categories/never-was/"]) == {
        "/categories/meta-analysis-of-vitamin-d/"
    }


def test_merged_twice_an_old_address_answers_with_one_redirect_to_the_last_kept(pair, client):
    kept, old = pair
    merge([old], kept)
    meta = Category.objects.create(name="Meta")
    merge([kept], meta)

    assert set(CategoryAlias.objects.values_list("slug", "category__name")) == {
        ("meta-analysis-of-vitamin-d", "Meta"),
        ("meta-analysis", "Meta"),
    }
    for old_url in ["/categories/meta-analysis-of-vitamin-d/", "/categories/meta-analysis/"]:
        response = client.get(old_url)
        assert (response.status_code, response["Location"]) == (301, "/categories/meta/")
    assert categories_of("only-old") == ["Meta"]


def test_a_category_made_again_with_an_old_slug_takes_its_address_back(pair, client):
    kept, old = pair
    merge([old], kept)
    make_post("new-one", title="New one", categories=[OLD])  # made again by its name

    assert not CategoryAlias.objects.exists()
    page = client.get("/categories/meta-analysis-of-vitamin-d/")
    assert page.status_code == 200
    assert "New one" in page.content.decode() and "Only old" not in page.content.decode()


def test_the_featured_category_merged_into_another_the_home_page_features_that_one(client, settings):
    settings.VDWIKI_CACHE_PAGES = False
    top, kept = Category.objects.create(name="Top news"), Category.objects.create(name="Top stories")
    make_post("featured-one", title="Featured one", categories=["Top news"])
    merge([top], kept)
    featured = BeautifulSoup(client.get("/").content, "html.parser").select_one(".featured")
    assert featured is not None and featured.h2.get_text(strip=True) == "Top stories"
    assert "Featured one" in featured.get_text()


def test_the_kept_category_renamed_to_a_merged_ones_name_keeps_its_old_address(pair, client):
    """Merged, then given the merged one's better name: not that category made again, so its old
    address still leads to the kept one."""
    kept, old = pair
    merge([old], kept)
    kept.name = OLD
    kept.save()
    response = client.get("/categories/meta-analysis-of-vitamin-d/")
    assert (response.status_code, response["Location"]) == (301, "/categories/meta-analysis/")
    assert categories_of("only-old") == [OLD]


def test_posts_are_relabelled_and_logged_a_chunk_at_a_time(pair, monkeypatch):
    monkeypatch.setattr(categories_module, "CHUNK", 1)
    kept, old = pair
    merge([old], kept)

    assert PostAction.objects.filter(action=PostAction.Action.CATEGORIES).count() == 2
    assert Post.objects.get(slug="in-both").labels == KEPT
    assert Post.objects.get(slug="only-old").labels == f"calcifediol\n{KEPT}"


def test_several_categories_merge_at_once(pair):
    kept, old = pair
    third = Category.objects.create(name="Meta analyses")
    make_post("third", categories=["Meta analyses"])
    plan = merge([old, third], kept)

    assert plan.moving == 2
    assert list(Category.objects.values_list("name", flat=True)) == [KEPT]
    assert CategoryAlias.objects.count() == 2


def test_a_refused_merge_changes_nothing(pair, people):
    kept, old = pair
    with pytest.raises(ValidationError, match="into itself"):
        merge([kept, old], kept)
    with pytest.raises(PermissionDenied):
        workflow.merge_categories([old], into=kept, by=people["Editor"])
    gone = Category(pk=9999, name="Gone", slug="gone")
    with pytest.raises(ValidationError, match="no longer exist"):
        merge([old, gone], kept)
    assert Category.objects.count() == 2
    assert categories_of("only-old") == [OLD]
    assert not CategoryAlias.objects.exists()
    assert not PostAction.objects.filter(action=PostAction.Action.CATEGORIES).exists()


@pytest.mark.django_db(transaction=True)
def test_a_post_filed_under_a_merged_category_meanwhile_is_never_lost_silently():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets one transaction write at a time")
    kept, old = Category.objects.create(name=KEPT), Category.objects.create(name=OLD)
    post = make_post("late")
    filed, go_on, merged, filing_failed = threading.Event(), threading.Event(), {}, []

    def file_it():  # as an approval files a post, in a transaction still open
        try:
            with transaction.atomic():
                Post.objects.get(pk=post.pk).categories.add(old)
                filed.set()
                go_on.wait(30)
        except Exception as error:
            filing_failed.append(error)
        finally:
            connection.close()

    def merge_it():
        try:
            merged["plan"] = merge([old], kept)
        except Exception as error:
            merged["error"] = error
        finally:
            connection.close()

    filing = threading.Thread(target=file_it)
    filing.start()
    assert filed.wait(30)
    merging = threading.Thread(target=merge_it)
    merging.start()
    time.sleep(0.5)
    go_on.set()
    filing.join(30)
    merging.join(30)

    names = categories_of("late")
    if "error" in merged:  # the merge failed whole: the post was filed under the category kept as it was
        assert names == [OLD] and Category.objects.filter(name=OLD).exists()
    elif names != [KEPT]:  # the filing failed whole: made again, it lands in the category kept
        assert names == [] and filing_failed
        Post.objects.get(slug="late").categories.set(Category.objects.named([OLD]))
        assert categories_of("late") == [KEPT]


# What readers see


def test_search_finds_a_moved_post_by_the_kept_name_and_not_the_old(pair):
    kept, old = pair
    merge([old], kept)

    post = Post.objects.get(slug="only-old")
    assert post.labels.split("\n") == ["calcifediol", KEPT]
    assert "only-old" in [p.slug for p in search("Meta-analysis")[:]]
    assert "only-old" not in [p.slug for p in search('"of Vitamin D"', category="meta-analysis-of-vitamin-d")[:]]
    assert [p.slug for p in search("Only old", category="meta-analysis")[:]] == ["only-old"]


def test_a_cached_page_shows_the_merge(pair, client, settings, django_capture_on_commit_callbacks):
    settings.VDWIKI_CACHE_PAGES = True
    kept, old = pair

    def links(url):
        html = BeautifulSoup(client.get(url).content, "html.parser")
        return {a["href"] for a in html.select("a[href^='/categories/']")}

    assert "/categories/meta-analysis-of-vitamin-d/" in links("/posts/only-old/")
    assert "/categories/meta-analysis-of-vitamin-d/" in links("/categories/")
    with django_capture_on_commit_callbacks(execute=True):
        merge([old], kept)
    assert "/categories/meta-analysis-of-vitamin-d/" not in links("/posts/only-old/")
    assert "/categories/meta-analysis/" in links("/posts/only-old/")
    assert "/categories/meta-analysis-of-vitamin-d/" not in links("/categories/")


def test_merged_into_a_hidden_category_the_posts_name_no_category_and_the_old_address_is_not_found(pair, client):
    kept, old = pair
    hidden = Category.objects.create(name="Admin Only", hidden=True)
    merge([old], hidden)

    post = Post.objects.get(slug="only-old")
    assert post.article["categories"] == []
    assert "Admin Only" not in client.get("/posts/only-old/").content.decode()
    assert client.get("/categories/meta-analysis-of-vitamin-d/").status_code == 404
    assert client.get("/categories/meta-analysis-of-vitamin-d/feed/").status_code == 404
    assert "only-old" not in [p.slug for p in search("Only old", category="admin-only")[:]]


# Names in waiting revisions and in the dump


def test_a_change_waiting_for_review_naming_the_merged_category_goes_live_in_the_kept_one(pair, people):
    kept, old = pair
    author, moderator = people["Author"], people["Moderator"]
    post = make_post("waiting", categories=[], author=author)
    content = workflow.Content.of(post.latest_revision)
    revision = workflow.edit(
        post,
        by=author,
        content=workflow.Content(content.title, content.slug, "New words.", (OLD,)),
        based_on=post.latest_revision,
    )
    workflow.submit(post, by=author)
    merge([old], kept)

    workflow.approve(Post.objects.get(pk=post.pk), by=moderator)
    assert categories_of("waiting") == [KEPT]
    assert list(Category.objects.values_list("name", flat=True)) == [KEPT]
    assert Post.objects.get(pk=post.pk).labels == KEPT
    assert Revision.objects.get(pk=revision.pk).categories == [OLD]


def test_a_scheduled_change_naming_the_merged_category_goes_live_in_the_kept_one(pair, people):
    kept, old = pair
    moderator = people["Moderator"]
    post = make_post("scheduled", categories=["Bones"])
    content = workflow.Content.of(post.latest_revision)
    changed = workflow.Content(content.title, content.slug, "New words.", ("Bones", OLD))
    workflow.edit(post, by=moderator, content=changed, based_on=post.latest_revision)
    workflow.submit(post, by=moderator)
    workflow.schedule(post, by=moderator, at=timezone.now() + timedelta(hours=1))
    merge([old], kept)

    assert [p.slug for p in workflow.publish_due(timezone.now() + timedelta(hours=2))] == ["scheduled"]
    assert categories_of("scheduled") == ["Bones", KEPT]
    assert Category.objects.filter(name=OLD).count() == 0


def test_a_draft_in_the_merged_category_is_moved_with_the_others(pair, people):
    kept, old = pair
    moderator = people["Moderator"]
    post = workflow.create(by=moderator, content=workflow.Content("Draft", "draft", "Words.", (OLD,)))
    merge([old], kept)
    assert categories_of("draft") == [KEPT]

    workflow.publish(post, by=moderator)
    assert categories_of("draft") == [KEPT]


def test_the_edit_form_of_a_waiting_change_offers_the_kept_category(pair, people, client):
    kept, old = pair
    editor = people["Editor"]
    post = Post.objects.get(slug="only-old")
    content = workflow.Content.of(post.latest_revision)
    workflow.edit(
        post,
        by=editor,
        content=workflow.Content(**{**content.__dict__, "body": "Changed."}),
        based_on=post.latest_revision,
    )
    merge([old], kept)

    client.force_login(editor)
    html = BeautifulSoup(client.get(f"/admin/posts/post/{post.pk}/change/").content, "html.parser")
    chosen = [option.text for option in html.select("select[name=categories] option[selected]")]
    assert chosen == [KEPT]


def test_the_preview_of_a_waiting_change_names_the_kept_category(pair, people):
    kept, old = pair
    post = Post.objects.get(slug="only-kept")
    content = workflow.Content.of(post.latest_revision)
    changed = workflow.Content(content.title, content.slug, "Changed.", (OLD,))
    revision = workflow.edit(post, by=people["Editor"], content=changed, based_on=post.latest_revision)
    merge([old], kept)

    shown = previews.post_as_revision(revision)
    assert shown.article["categories"] == [KEPT]


def dump_file(dump, slug, categories):
    meta = {"title": slug.title(), "slug": slug, "date": "2024-01-29", "categories": categories}
    (dump / f"{slug}.md").write_text(json.dumps(meta) + "\n\nWords of " + slug + ".\n")


def test_a_reimport_naming_the_merged_category_lands_in_the_kept_one(tmp_path):
    dump = tmp_path / "dump"
    dump.mkdir()
    dump_file(dump, "imported", [OLD])
    import_dump(dump)
    kept = Category.objects.create(name=KEPT)
    merge([Category.objects.get(name=OLD)], kept)

    dump_file(dump, "imported", [OLD, "meta-analysis of vitamin d"])
    dump_file(dump, "new-in-dump", ["META-ANALYSIS OF VITAMIN D"])
    import_dump(dump, force=True)
    assert categories_of("imported") == [KEPT]
    assert categories_of("new-in-dump") == [KEPT]
    assert list(Category.objects.values_list("name", flat=True)) == [KEPT]


# The admin's pages


def test_the_action_leads_to_the_page_choosing_the_category_to_keep(pair, people, client):
    kept, old = pair
    client.force_login(people["Moderator"])
    response = client.post(CATEGORIES, {"action": "merge_selected", "index": 0, "_selected_action": [kept.pk, old.pk]})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = BeautifulSoup(page.content, "html.parser")
    assert sorted(int(i["value"]) for i in html.select("input[name=into]")) == sorted([kept.pk, old.pk])


def test_a_moderator_sees_the_counts_then_merges(pair, people, client):
    kept, old = pair
    client.force_login(people["Moderator"])
    data = {"categories": [kept.pk, old.pk], "into": kept.pk}
    confirm = client.post(MERGE, {**data, "step": "confirm"})
    count = BeautifulSoup(confirm.content, "html.parser").select_one(".bulk-count").get_text()
    assert count == "1 post will move to “Meta-analysis”; 1 is in it already."
    assert Category.objects.count() == 2  # nothing changed yet

    done = client.post(MERGE, {**data, "step": "merge"}, follow=True)
    assert done.redirect_chain == [(CATEGORIES, 302)]
    assert "Merged “Meta-analysis of Vitamin D” into “Meta-analysis”: 1 post(s) moved" in page_text(done)
    assert categories_of("only-old") == [KEPT]
    assert PostAction.objects.filter(action=PostAction.Action.CATEGORIES, user=people["Moderator"]).count() == 2

    again = client.post(MERGE, {**data, "step": "merge"})  # the confirmation posted twice
    assert again.status_code == 400
    assert f"No category has the id {old.pk}: it was merged or deleted meanwhile" in page_text(again)
    assert PostAction.objects.filter(action=PostAction.Action.CATEGORIES).count() == 2


def test_the_confirmation_warns_of_a_hidden_category_kept(pair, people, client):
    kept, old = pair
    hidden = Category.objects.create(name="Admin Only", hidden=True)
    client.force_login(people["Admin"])
    confirm = client.post(MERGE, {"categories": [hidden.pk, old.pk], "into": hidden.pk, "step": "confirm"})
    assert "is hidden from readers" in page_text(confirm)


@pytest.mark.parametrize("role", ["Author", "Editor"])
def test_those_who_may_not_merge_are_refused_and_offered_no_action(pair, people, client, role):
    kept, old = pair
    client.force_login(people[role])
    listed = client.get(CATEGORIES)
    assert "merge_selected" not in listed.content.decode()
    for response in [
        client.get(f"{MERGE}?ids={kept.pk},{old.pk}"),
        client.post(MERGE, {"categories": [kept.pk, old.pk], "into": kept.pk, "step": "merge"}),
    ]:
        assert response.status_code == 403
        assert "You may not merge categories." in page_text(response)
    assert categories_of("only-old") == [OLD]


@pytest.mark.parametrize(
    ("forged", "reason"),
    [
        (lambda kept, old: {"categories": [kept.pk], "into": kept.pk}, "cannot be merged into itself"),
        (lambda kept, old: {"categories": [kept.pk, old.pk, 9999], "into": kept.pk}, "No category has the id 9999"),
        (lambda kept, old: {"categories": [old.pk], "into": kept.pk}, "must be one of those selected"),
        (lambda kept, old: {"categories": [kept.pk, old.pk], "into": 9999}, "The category to keep no longer exists"),
        (lambda kept, old: {"categories": [kept.pk, "x"], "into": kept.pk}, "is not the id of a category"),
        (lambda kept, old: {"categories": [kept.pk, old.pk]}, "Choose the category to keep"),
    ],
)
def test_a_forged_merge_is_refused_with_its_reason_and_changes_nothing(pair, people, client, forged, reason):
    kept, old = pair
    client.force_login(people["Admin"])
    for step in ["confirm", "merge"]:
        response = client.post(MERGE, {**forged(kept, old), "step": step})
        assert response.status_code == 400
        assert reason in page_text(response) and "Nothing was merged." in page_text(response)
    assert Category.objects.count() == 2
    assert categories_of("in-both") == [KEPT, OLD]
    assert not CategoryAlias.objects.exists()


def test_a_merge_page_for_ids_that_do_not_exist_or_one_category_says_so(pair, people, client):
    kept, _old = pair
    client.force_login(people["Moderator"])
    for ids, reason in [(f"{kept.pk},9999", "No category has the id 9999"), (str(kept.pk), "Select two categories")]:
        response = client.get(f"{MERGE}?ids={ids}")
        assert response.status_code == 400
        assert reason in page_text(response)


def test_a_merge_needs_its_csrf_token(pair, people):
    from django.test import Client

    kept, old = pair
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["Admin"])
    response = client.post(MERGE, {"categories": [kept.pk, old.pk], "into": kept.pk, "step": "merge"})
    assert response.status_code == 403
    assert categories_of("only-old") == [OLD]


@pytest.mark.django_db(transaction=True)
def test_through_gunicorn_the_old_address_and_feed_answer_301_in_one_hop(server):
    kept, old = Category.objects.create(name=KEPT), Category.objects.create(name=OLD)
    make_post("only-old", title="Only old", categories=[OLD])
    merge([old], kept)
    merge([kept], Category.objects.create(name="Meta"))

    for old_url, new_url in [
        ("/categories/meta-analysis-of-vitamin-d/", "/categories/meta/"),
        ("/categories/meta-analysis/feed/", "/categories/meta/feed/"),
    ]:
        for _twice in range(2):  # a 301 is never kept by the page cache
            answer = server.get(old_url)
            assert (answer.status, answer.headers["Location"]) == (301, new_url)
        assert "Only old" in server.get(new_url).text


def test_the_merged_categories_are_listed_for_editors_and_only_admins_delete_one(pair, people, client):
    kept, old = pair
    merge([old], kept)
    alias = CategoryAlias.objects.get()

    client.force_login(people["Editor"])
    listed = client.get("/admin/posts/categoryalias/")
    assert listed.status_code == 200 and OLD in page_text(listed)
    assert client.post(f"/admin/posts/categoryalias/{alias.pk}/delete/", {"post": "yes"}).status_code == 403
    client.force_login(people["Admin"])
    assert client.post(f"/admin/posts/categoryalias/{alias.pk}/delete/", {"post": "yes"}).status_code == 302
    assert client.get("/categories/meta-analysis-of-vitamin-d/").status_code == 404
