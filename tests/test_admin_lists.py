"""The post list and the editors' tools on it (admin.py, admin_lists.py, bulk_tags.py): the list's
columns and filters, confirmations before bulk moves, bulk tags, the Markdown source search and
internal notes, each as every role and as someone forging a form."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from posts import admin_lists, previews, tasks, workflow
from posts import bulk_tags as bulk_tags_module
from posts.admin import PostAdmin
from posts.models import Post, PostNote

from .factories import make_post, make_posts, make_user, workflow_user
from .test_tasks import run_worker

pytestmark = pytest.mark.django_db

Status = Post.Status
LIST = "/admin/posts/post/"
MORE_THAN_A_REQUEST = bulk_tags_module.MAX_POSTS + 10


@pytest.fixture
def people(roles):
    return {role: make_user(role, role.lower()) for role in ("Author", "Editor", "Moderator", "Admin")} | {
        "Nobody": make_user(None, "nobody")
    }


def as_user(client, user):
    client.force_login(user)
    return client


def act(client, action, ids=(), *, query="", **data):
    """The post list's action form, as the browser posts it (and as a forger could)."""
    return client.post(LIST + query, {"action": action, "index": 0, "_selected_action": list(ids), **data})


def tags_of(post) -> list[str]:
    post = Post.objects.select_related("latest_revision").get(pk=post.pk)
    return list(post.latest_revision.tags)


def page_text(response) -> str:
    return unescape(response.content.decode())


# The list


def test_the_post_list_shows_the_title_first_and_a_short_date(client, people):
    make_post("sleep", title="Vitamin D and sleep", date=datetime(2026, 12, 6, 12, tzinfo=UTC))

    html = page_text(as_user(client, people["Moderator"]).get(LIST))

    table = html[html.index('id="result_list"') :]
    header = table[: table.index("</thead>")]
    assert header.index("column-title") < header.index("column-state") < header.index("column-short_date")
    assert "6 Dec 2026" in html
    assert "column-tiki_page_id" not in header


def test_deleted_posts_are_left_out_unless_the_state_filter_asks_for_them(client, people):
    make_post("kept", title="Kept post")
    make_post("gone", title="Gone post", status=Status.DELETED)
    client = as_user(client, people["Moderator"])

    assert "Gone post" not in page_text(client.get(LIST))
    assert "Gone post" in page_text(client.get(LIST, {"state": "deleted"}))
    every = page_text(client.get(LIST, {"state": "any"}))
    assert "Gone post" in every and "Kept post" in every


def test_the_filters_are_drop_downs_and_the_category_one_has_a_filter_box(client, people):
    for n in range(20):
        make_post(f"post-{n}", categories=[f"Category {n:02}"])

    html = page_text(as_user(client, people["Moderator"]).get(LIST))

    assert '<select id="filter-categories"' in html
    assert html.count('<option value="?categories__id__exact=') == 20
    assert 'class="filter-box"' in html


def test_each_row_carries_the_posts_title_and_address_for_the_copy_buttons(client, people):
    make_post("brackets", title="Doses [IU] & levels")

    html = as_user(client, people["Editor"]).get(LIST).content.decode()

    assert 'data-title="Doses [IU] &amp; levels" data-path="/posts/brackets/"' in html
    assert 'data-format="Markdown"' in html and 'data-format="HTML"' in html


@pytest.mark.parametrize("per_page", [50, 200])
def test_the_post_list_makes_as_many_queries_whatever_its_page_size(
    client, people, monkeypatch, django_assert_max_num_queries, per_page
):
    moderator = people["Moderator"]
    for n in range(per_page + 1):
        content = workflow.Content(f"Post {n}", f"post-{n}", "Text", tags=(f"tag {n % 7}",))
        workflow.create(by=moderator, content=content)
    monkeypatch.setattr(PostAdmin, "list_per_page", per_page)
    client = as_user(client, moderator)

    with django_assert_max_num_queries(11):
        html = client.get(LIST).content.decode()

    assert html.count('name="_selected_action"') == per_page


# Confirmations before bulk moves


def test_a_bulk_move_asks_first_saying_how_many_posts_it_touches(client, people):
    drafts = [make_post(f"draft-{n}", status=Status.DRAFT) for n in range(3)]
    client = as_user(client, people["Moderator"])

    asked = act(client, "publish_selected", [post.pk for post in drafts])

    assert asked.status_code == 200
    assert "Publish the selected posts now: 3 posts" in page_text(asked)
    assert Post.objects.filter(status=Status.PUBLISHED).count() == 0
    done = act(client, "publish_selected", [post.pk for post in drafts], confirmed="yes")
    assert done.status_code == 302
    assert Post.objects.filter(status=Status.PUBLISHED).count() == 3


def test_a_bulk_move_on_every_matching_post_counts_them_all(client, people):
    for n in range(3):
        make_post(f"apple-{n}", title=f"Apple {n}", status=Status.DRAFT)
    make_post("pear", title="Pear", status=Status.DRAFT)
    client = as_user(client, people["Moderator"])

    on_page = [Post.objects.get(slug="apple-0").pk]  # the browser sends the page's ticked rows too
    asked = act(client, "submit_selected", on_page, query="?q=apple", select_across="1")

    assert "Submit the selected posts for review: 3 posts" in page_text(asked)
    act(client, "submit_selected", on_page, query="?q=apple", select_across="1", confirmed="yes")
    assert Post.objects.in_review().count() == 3


def test_a_confirmed_bulk_move_still_needs_the_users_right(client, people):
    draft = make_post("draft", status=Status.DRAFT, author=people["Editor"])

    response = act(as_user(client, people["Editor"]), "publish_selected", [draft.pk], confirmed="yes")

    assert response.status_code == 302  # no such action for an Editor: Django says "no action selected"
    assert Post.objects.get(pk=draft.pk).status == Status.DRAFT


# Bulk tags


def bulk_tags(client, ids=(), *, add="", remove="", step="confirm", query="", **data):
    return act(client, "change_tags_selected", ids, query=query, add=add, remove=remove, step=step, **data)


def test_bulk_tags_first_ask_which_tags_then_say_how_many_posts_will_change(client, people):
    has_it = make_post("has-it", tags=["Sleep"])
    lacks_it = make_post("lacks-it", tags=["Bones"])
    client = as_user(client, people["Moderator"])
    ids = [has_it.pk, lacks_it.pk]

    chooser = page_text(bulk_tags(client, ids, step=""))
    assert "2 posts" in chooser and 'name="add"' in chooser
    confirm = page_text(bulk_tags(client, ids, add="sleep", step="choose"))

    assert "1 of the 2 posts will change" in confirm and "1 already has these tags" in confirm
    assert tags_of(lacks_it) == ["Bones"]  # nothing changed before the confirmation


def test_a_moderators_bulk_tags_go_live_through_the_workflow(client, people):
    moderator = people["Moderator"]
    live = make_post("live", tags=["Bones"])
    draft = make_post("draft", tags=["Bones"], status=Status.DRAFT)
    revisions_before = live.revisions.count()

    done = page_text(bulk_tags(as_user(client, moderator), [live.pk, draft.pk], add="Sleep", remove="BONES"))

    assert "2 posts changed" in done and "Live at once: 1" in done
    live.refresh_from_db()
    assert (live.status, live.pending_status) == (Status.PUBLISHED, "")
    assert sorted(live.tags.names()) == ["Sleep"]  # what readers see
    assert live.revisions.count() == revisions_before + 1
    assert live.latest_revision.author == moderator and "Added tags Sleep" in live.latest_revision.message
    assert tags_of(draft) == ["Sleep"] and Post.objects.get(pk=draft.pk).status == Status.DRAFT


def test_an_editors_bulk_tags_on_a_live_post_wait_for_review(client, people):
    live = make_post("live", tags=["Bones"])

    done = page_text(bulk_tags(as_user(client, people["Editor"]), [live.pk], add="Sleep"))

    assert "1 post changed" in done and "Waiting for review" in done
    live.refresh_from_db()
    assert live.pending_status == Status.DRAFT
    assert list(live.tags.names()) == ["Bones"]  # readers still get the live revision's tags
    assert tags_of(live) == ["Bones", "Sleep"]


def test_bulk_tags_leave_a_live_posts_waiting_changes_waiting(client, people):
    live = make_post("live", body="Old", tags=["Bones"])
    latest = Post.objects.get(pk=live.pk).latest_revision
    changed = workflow.Content(latest.title, latest.slug, "New text", tuple(latest.categories), tuple(latest.tags))
    workflow.edit(live, by=people["Editor"], content=changed, based_on=latest)

    bulk_tags(as_user(client, people["Moderator"]), [live.pk], add="Sleep")

    live.refresh_from_db()
    assert live.pending_status == Status.DRAFT and live.body == "Old"
    assert tags_of(live) == ["Bones", "Sleep"]


def test_bulk_tags_refuse_scheduled_and_deleted_posts_and_say_why(client, people):
    moderator = people["Moderator"]
    scheduled = make_post("scheduled", status=Status.DRAFT)
    workflow.submit(scheduled, by=moderator)
    workflow.schedule(scheduled, by=moderator, at=timezone.now() + timedelta(days=1))
    deleted = make_post("deleted", status=Status.DELETED)
    client = as_user(client, moderator)

    done = page_text(bulk_tags(client, [scheduled.pk, deleted.pk], add="Sleep", query="?state=any"))

    assert "0 posts changed" in done and "2 refused" in done
    assert "take it off its schedule" in done and "undelete it" in done
    assert Post.objects.get(pk=scheduled.pk).status == Status.SCHEDULED
    assert tags_of(scheduled) == []


def test_bulk_tags_on_every_matching_post_leave_out_the_unticked_ones(client, people):
    apples = [make_post(f"apple-{n}", title=f"Apple {n}") for n in range(3)]
    pear = make_post("pear", title="Pear")
    client = as_user(client, people["Moderator"])

    across = {"ids": [apples[0].pk], "query": "?q=apple", "select_across": "1"}
    chooser = page_text(bulk_tags(client, step="", **across))
    assert "3 posts" in chooser and "Pear" not in chooser
    ticked = [apples[0].pk, apples[1].pk]
    shown = [post.pk for post in apples]
    confirm = page_text(bulk_tags(client, add="Fruit", step="choose", shown=shown, ticked=ticked, **across))
    assert "2 of the 2 posts will change" in confirm
    bulk_tags(client, add="Fruit", leave_out=[apples[2].pk], **across)

    assert [tags_of(post) for post in apples] == [["Fruit"], ["Fruit"], []]
    assert tags_of(pear) == []


def test_an_author_retags_their_own_posts_and_a_forged_id_of_anothers_changes_nothing(client, people):
    author = people["Author"]
    own = make_post("own", status=Status.DRAFT, author=author)
    theirs = make_post("theirs", status=Status.DRAFT)

    done = page_text(bulk_tags(as_user(client, author), [own.pk, theirs.pk], add="Sleep"))

    assert "1 post changed" in done and "theirs" not in done.lower().split("tags changed")[-1]
    assert tags_of(own) == ["Sleep"] and tags_of(theirs) == []


def test_bulk_tags_are_refused_to_those_without_the_right_and_to_strangers(client, people):
    post = make_post("post", status=Status.DRAFT)

    nobody = bulk_tags(as_user(client, people["Nobody"]), [post.pk], add="Sleep")
    client.logout()
    stranger = bulk_tags(client, [post.pk], add="Sleep")

    assert nobody.status_code == 403
    assert stranger.status_code == 302 and "/admin/login/" in stranger["Location"]
    assert tags_of(post) == []


def test_bulk_tags_on_more_posts_than_one_request_can_change_run_in_the_background(client, people):
    make_posts(MORE_THAN_A_REQUEST + 1)
    other = make_post("other", title="Other")
    moderator = people["Moderator"]
    posts = list(Post.objects.filter(title__startswith="Post number"))
    left_out = posts[0]
    revisions_before = {post.pk: post.revisions.count() for post in posts}
    client = as_user(client, moderator)
    across = {"ids": [left_out.pk], "query": "?q=number", "select_across": "1", "leave_out": [left_out.pk]}

    confirm = page_text(bulk_tags(client, add="Bones", step="choose", **across))
    assert f"{MORE_THAN_A_REQUEST} of the {MORE_THAN_A_REQUEST} posts will change" in confirm
    assert "the change will run in the background" in confirm
    response = bulk_tags(client, add="Bones", **across)

    run = DBTaskResult.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admin/posts/post/bulk-tags/{run.id}/"
    queued = page_text(client.get(response["Location"]))
    assert f"Queued: the tags of {MORE_THAN_A_REQUEST} posts will be changed" in queued
    assert '<meta http-equiv="refresh" content="2">' in queued
    assert all(tags_of(post) == list(post.latest_revision.tags) for post in posts)  # nothing changed yet

    run_worker()

    done = page_text(client.get(response["Location"]))
    assert f"{MORE_THAN_A_REQUEST} posts changed" in done and f"Live at once: {MORE_THAN_A_REQUEST}" in done
    assert "refresh" not in done and "refused" not in done
    for post in posts[1:]:
        post = Post.objects.get(pk=post.pk)
        assert "Bones" in post.tags.names() and post.revisions.count() == revisions_before[post.pk] + 1
        assert post.latest_revision.author == moderator
    assert "Bones" not in tags_of(left_out) and left_out.revisions.count() == revisions_before[left_out.pk]
    assert tags_of(other) == []


def test_a_background_bulk_tags_confirmed_twice_changes_each_post_once(client, people, monkeypatch):
    monkeypatch.setattr(bulk_tags_module, "MAX_POSTS", 2)
    posts = [make_post(f"post-{n}", tags=["Sleep"]) for n in range(3)]
    revisions_before = {post.pk: post.revisions.count() for post in posts}
    client = as_user(client, people["Moderator"])
    confirm = {"ids": [post.pk for post in posts], "add": "Bones", "remove": "sleep"}

    first, second = bulk_tags(client, **confirm), bulk_tags(client, **confirm)
    run_worker()

    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 2
    assert "3 posts changed" in page_text(client.get(first["Location"]))
    assert "0 posts changed</strong>, 3 already had these tags" in page_text(client.get(second["Location"]))
    for post in posts:
        assert tags_of(post) == ["Bones"] and post.revisions.count() == revisions_before[post.pk] + 1


def queue_bulk_tags(user, posts):
    """A background run adding Bones, as the confirmation queues one."""
    ids = [post.pk for post in posts]
    return tasks.change_tags.enqueue(user_id=user.pk, post_ids=ids, add=["Bones"], remove=[], message="")


def run_page(run) -> str:
    return f"/admin/posts/post/bulk-tags/{run.id}/"


def test_a_background_bulk_tags_page_is_only_for_its_user_and_superusers(client, people):
    post = make_post("post", status=Status.DRAFT)
    run = queue_bulk_tags(people["Editor"], [post])
    an_import = tasks.run_import.enqueue(0, "nothing")

    assert as_user(client, people["Editor"]).get(run_page(run)).status_code == 200
    assert as_user(client, workflow_user()).get(run_page(run)).status_code == 200
    assert as_user(client, people["Moderator"]).get(run_page(run)).status_code == 404
    assert client.get(run_page(an_import)).status_code == 404
    assert client.get(run_page(run).replace(run.id[:8], "00000000")).status_code == 404
    client.logout()
    anonymous = client.get(run_page(run))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/admin/login/")


def test_a_background_bulk_tags_run_changes_only_what_its_user_still_may_change(client, people):
    editor = people["Editor"]
    posts = [make_post(f"draft-{n}", status=Status.DRAFT) for n in range(2)]
    run = queue_bulk_tags(editor, posts)
    editor.groups.clear()

    run_worker()

    page = page_text(as_user(client, editor).get(run_page(run)))
    assert "0 posts changed</strong>, <strong>2 refused</strong>" in page
    assert page.count("You may not edit this post.") == 2
    assert [tags_of(post) for post in posts] == [[], []]


def test_a_failed_background_bulk_tags_run_says_so(client, people):
    gone = make_user("Editor", "gone")
    post = make_post("draft", status=Status.DRAFT)
    run = queue_bulk_tags(gone, [post])
    gone.delete()

    run_worker()

    page = page_text(as_user(client, workflow_user()).get(run_page(run)))
    assert "The change failed: it stopped with an error before it finished." in page
    assert "refresh" not in page and tags_of(post) == []


def test_bulk_tags_without_a_tag_ask_again(client, people):
    post = make_post("post")

    response = page_text(bulk_tags(as_user(client, people["Moderator"]), [post.pk], step="choose"))

    assert "Name the tags to add or to remove." in response


def test_bulk_tags_need_the_forms_csrf_token(people):
    from django.test import Client

    post = make_post("post", status=Status.DRAFT)
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["Moderator"])

    assert bulk_tags(client, [post.pk], add="Sleep").status_code == 403
    assert tags_of(post) == []


# Source search

SEARCH = "/admin/posts/post/source-search/"


def test_the_source_search_finds_exact_text_and_shows_it_in_context(client, people):
    make_post("one", title="With legacy markup", body="Intro\n\n{img src=x.png} and <b>bold</b> ~~~\n")
    make_post("two", title="Clean", body="Nothing here")

    html = as_user(client, people["Editor"]).get(SEARCH, {"q": "{img src="}).content.decode()

    assert "1 post</strong> holds it" in html and "With legacy markup" in html and "Clean" not in html
    assert "<mark>{img src=</mark>x.png} and &lt;b&gt;bold&lt;/b&gt;" in html
    assert f"/admin/posts/post/{Post.objects.get(slug='one').pk}/change/" in html


def test_the_source_search_matches_case_only_when_asked_and_leaves_out_the_excluded(client, people):
    make_post("upper", title="Upper", body="See ALSO this")
    make_post("lower", title="Lower", body="see also that")
    make_post("both", title="Excluded", body="see also {maketoc}")
    client = as_user(client, people["Editor"])

    def found(**query):
        html = page_text(client.get(SEARCH, query))
        return sorted(title for title in ("Upper", "Lower", "Excluded") if f">{title}</a>" in html)

    assert found(q="see also") == ["Excluded", "Lower", "Upper"]
    assert found(q="ALSO", case_sensitive="on") == ["Upper"]
    assert found(q="see also", exclude="{maketoc}") == ["Lower", "Upper"]
    assert found(q="see", exclude="SEE", case_sensitive="on") == ["Excluded", "Lower"]


def test_the_source_search_is_paginated(client, people):
    for n in range(25):
        make_post(f"post-{n}", body=f"Needle {n}")
    client = as_user(client, people["Editor"])

    first = page_text(client.get(SEARCH, {"q": "Needle"}))
    second = page_text(client.get(SEARCH, {"q": "Needle", "page": 2}))

    assert "25 posts</strong> hold it; page 1 of 2" in first and first.count("<mark>") == 20
    assert second.count("<mark>") == 5


def test_the_source_search_counts_up_to_a_limit(client, people, monkeypatch):
    for n in range(4):
        make_post(f"post-{n}", body=f"Needle {n}")
    monkeypatch.setattr(admin_lists, "COUNTED", 2)
    monkeypatch.setattr(admin_lists, "RESULTS_PER_PAGE", 1)

    html = page_text(as_user(client, people["Editor"]).get(SEARCH, {"q": "Needle"}))

    assert "More than 2 posts hold it, newest first" in html.replace("</strong>", "").replace("<strong>", "")
    assert "page 1 of 3" in html and html.count("<mark>") == 1


@pytest.mark.parametrize("counted", [100, 2])  # all matches counted, or more than counted: walked by date
def test_the_source_search_pages_are_newest_first_whatever_the_order_posts_were_written_in(
    client, people, monkeypatch, counted
):
    days = [3, 9, 1, 7, 5, 8, 2, 6]  # written in this order; odd days hold the text
    for n, day in enumerate(days):
        body = f"Needle on day {day}" if day % 2 else f"Hay on day {day}"
        make_post(f"post-{n}", title=f"Day {day}", body=body, date=datetime(2024, 1, day, tzinfo=UTC))
    monkeypatch.setattr(admin_lists, "COUNTED", counted)
    monkeypatch.setattr(admin_lists, "RESULTS_PER_PAGE", 1)
    monkeypatch.setattr(admin_lists, "WALK_CHUNK", 3)
    client = as_user(client, people["Editor"])

    titles = [
        re.findall(r">(Day \d)</a>", page_text(client.get(SEARCH, {"q": "needle", "page": n}))) for n in (1, 2, 3)
    ]

    assert titles == [["Day 9"], ["Day 7"], ["Day 5"]]


def test_an_authors_source_search_finds_only_their_own_posts(client, people):
    author = people["Author"]
    make_post("own", title="Own", body="needle", status=Status.DRAFT, author=author)
    make_post("theirs", title="Theirs", body="needle", status=Status.DRAFT)

    html = page_text(as_user(client, author).get(SEARCH, {"q": "needle"}))

    assert ">Own</a>" in html and "Theirs" not in html


def test_the_source_search_is_refused_to_those_without_a_role_and_to_strangers(client, people):
    assert as_user(client, people["Nobody"]).get(SEARCH, {"q": "x"}).status_code == 403
    client.logout()
    assert client.get(SEARCH, {"q": "x"}).status_code == 302


# Internal notes


def note_url(post) -> str:
    return f"/admin/posts/post/{post.pk}/notes/"


def test_staff_add_a_note_that_shows_on_the_edit_page(client, people):
    post = make_post("post")
    client = as_user(client, people["Editor"])

    response = client.post(note_url(post), {"text": "Check the 2019 trial's dose."})

    assert response.status_code == 302 and response["Location"].endswith("/change/#notes")
    edit_page = page_text(client.get(f"/admin/posts/post/{post.pk}/change/"))
    assert "Check the 2019 trial's dose." in edit_page and "Internal notes (1)" in edit_page
    assert PostNote.objects.get().author == people["Editor"]


def test_an_author_cannot_note_or_read_notes_on_a_post_they_may_not_see(client, people):
    post = make_post("theirs", status=Status.DRAFT)
    PostNote.objects.create(post=post, author=people["Editor"], text="Secret remark")
    client = as_user(client, people["Author"])

    assert client.post(note_url(post), {"text": "Forged"}).status_code == 404
    assert "Secret remark" not in page_text(client.get(f"/admin/posts/post/{post.pk}/change/", follow=True))
    assert PostNote.objects.count() == 1


def test_no_one_deletes_another_users_note(client, people):
    post = make_post("post")
    note = PostNote.objects.create(post=post, author=people["Editor"], text="Mine")
    other_post = make_post("other")
    client = as_user(client, people["Moderator"])

    assert client.post(f"{note_url(post)}{note.pk}/delete/").status_code == 404
    as_user(client, people["Editor"])
    assert client.post(f"{note_url(other_post)}{note.pk}/delete/").status_code == 404
    assert PostNote.objects.filter(pk=note.pk).exists()
    assert client.post(f"{note_url(post)}{note.pk}/delete/").status_code == 302
    assert not PostNote.objects.exists()


def test_notes_are_refused_to_strangers_and_staff_without_a_role_and_need_a_post(client, people):
    post = make_post("post")

    assert client.post(note_url(post), {"text": "x"}).status_code == 302  # to the login page
    assert as_user(client, people["Nobody"]).post(note_url(post), {"text": "x"}).status_code == 403
    assert as_user(client, people["Editor"]).get(note_url(post)).status_code == 405
    assert PostNote.objects.count() == 0


def test_readers_never_see_a_note(client, people):
    post = make_post("sleep", title="Sleep", body="Vitamin D and sleep", tags=["Sleep"], categories=["Health"])
    PostNote.objects.create(post=post, author=people["Editor"], text="INTERNAL-ONLY remark")
    preview = previews.preview_url(Post.objects.get(pk=post.pk).latest_revision)
    client.logout()

    for url in [
        "/posts/sleep/", "/", "/posts/", "/feed/", "/feed/atom/", "/search/?q=sleep", "/search/?q=remark",
        "/sitemap.xml", "/tags/sleep/", "/categories/health/", preview,
    ]:  # fmt: skip
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        assert b"INTERNAL-ONLY" not in response.content, url
    assert "INTERNAL-ONLY" not in str(Post.objects.get(pk=post.pk).article)
