"""Reviewing in the admin: the review queue, the comparison's moves leading from one waiting post
to the next, the moderators' e-mail, the sizes of changes stored on revisions, and the dashboard
each role gets as the admin's index."""

import importlib
import re
from datetime import timedelta
from html import unescape

import pytest
from django.apps import apps
from django.core import mail
from django.utils import timezone

from posts import diff, workflow
from posts.models import ImportRun, Post, Revision
from posts.workflow import Content

from .factories import make_user

pytestmark = pytest.mark.django_db

Status = Post.Status
BODY = "Vitamin D helps sleep.\n\nA trial of 120 people."


@pytest.fixture
def author():
    return make_user("Author", "ada")


@pytest.fixture
def other_author():
    return make_user("Author", "bea")


@pytest.fixture
def editor():
    return make_user("Editor", "ed")


@pytest.fixture
def moderator():
    return make_user("Moderator", "mo")


@pytest.fixture
def admin_user():
    return make_user("Admin", "root")


def write(author, slug="sleep", body=BODY, tags=("Sleep",), message="") -> Post:
    title = slug.replace("-", " ").capitalize()
    return workflow.create(by=author, content=Content(title, slug, body, tags=tags), message=message)


def submitted(author, slug="sleep", comment="", **fields) -> Post:
    return workflow.submit(write(author, slug, **fields), by=author, comment=comment)


def published_with_changes(author, moderator, slug="live", body=BODY, new_body=BODY + " More words here.") -> Post:
    post = workflow.publish(write(author, slug, body=body), by=moderator)
    content = Content(post.title, slug, new_body, tags=("Sleep",))
    workflow.edit(post, by=author, content=content, based_on=post.latest_revision, message="Added the trial size")
    return workflow.submit(post, by=author)


def queue_rows(page: str) -> list[str]:
    return re.findall(r"<tr>(.*?)</tr>", page.split('id="result_list"')[1].split("<tbody>")[1], re.S)


def compare_url(post) -> str:
    return f"/admin/posts/post/{post.pk}/compare/"


# The queue


def test_the_queue_shows_who_submitted_when_their_message_and_the_size_of_the_change(client, author, moderator):
    post = published_with_changes(author, moderator, body="one two three four", new_body="one two five six seven")
    client.force_login(moderator)

    rows = queue_rows(client.get("/admin/posts/postinreview/").content.decode())

    assert len(rows) == 1
    row = unescape(rows[0])
    assert f'<a href="{compare_url(post)}">Live</a>' in row
    assert "ada" in row and f"{timezone.localtime(post.submitted_at):%Y-%m-%d %H:%M}" in row
    assert "Added the trial size" in row
    assert "+3</ins>" in row and "−2</del> words" in row


def test_the_submit_comment_is_the_message_shown_over_the_revisions(client, author, moderator):
    submitted(author, message="First words", comment="Please check the dose")
    client.force_login(moderator)

    row = unescape(queue_rows(client.get("/admin/posts/postinreview/").content.decode())[0])

    assert "Please check the dose" in row and "First words" not in row


def test_a_new_post_in_the_queue_shows_its_word_count_and_opens_a_comparison_against_nothing(client, author, moderator):
    post = submitted(author, body="Five words in this body.")
    client.force_login(moderator)

    row = unescape(queue_rows(client.get("/admin/posts/postinreview/").content.decode())[0])
    page = unescape(client.get(compare_url(post)).content.decode())

    assert "New post, 5 words" in row and compare_url(post) in row
    assert "Nothing before: a new post" in page
    assert "<ins>Five words in this body.</ins>" in page


@pytest.mark.parametrize("waiting", [2, 12])
def test_the_queue_costs_the_same_queries_however_many_posts_wait(
    client, author, moderator, waiting, django_assert_max_num_queries
):
    for n in range(waiting):
        submitted(author, f"post-{n}", comment=f"Comment {n}")
    client.force_login(moderator)
    client.get("/admin/posts/postinreview/")  # the session and permissions cached as on any later page

    with django_assert_max_num_queries(14):
        page = client.get("/admin/posts/postinreview/").content.decode()

    assert len(queue_rows(page)) == waiting


@pytest.mark.parametrize("role", ["Author", "Editor"])
def test_only_moderators_see_the_queue(client, author, role):
    submitted(author)
    client.force_login(make_user(role, "someone"))

    assert client.get("/admin/posts/postinreview/").status_code == 403


# The comparison's moves

MOVE_BUTTONS = ["Approve and publish", "Approve for this time", "Send back"]


def test_the_comparison_shows_the_review_moves_to_moderators_only(client, author, editor, moderator):
    post = submitted(author)

    for user, shown in [(author, False), (editor, False), (moderator, True)]:
        client.force_login(user)
        page = client.get(compare_url(post)).content.decode()
        assert all((button in page) is shown for button in MOVE_BUTTONS), user


def test_the_comparison_shows_no_moves_for_a_post_not_in_review(client, author, moderator):
    post = write(author)
    client.force_login(moderator)

    page = client.get(compare_url(post)).content.decode()

    assert not any(button in page for button in MOVE_BUTTONS)


def test_the_comparison_never_shows_another_authors_post(client, author, other_author):
    post = submitted(author)
    client.force_login(other_author)

    assert client.get(compare_url(post)).status_code == 404


def test_the_comparison_sends_anonymous_visitors_to_the_login(client, author):
    post = submitted(author)

    response = client.get(compare_url(post))

    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def move_from_comparison(client, post, action, **fields):
    data = {
        "action": action,
        "revision": post.latest_revision_id,
        "next": f"/admin/posts/postinreview/next/?after={post.pk}",
    }
    return client.post(f"/admin/posts/post/{post.pk}/move/", {**data, **fields})


def test_approving_from_the_comparison_leads_to_the_next_post_waiting(client, author, moderator):
    first, second = submitted(author, "first"), submitted(author, "second")
    client.force_login(moderator)

    response = move_from_comparison(client, first, "approve")
    assert response["Location"] == f"/admin/posts/postinreview/next/?after={first.pk}"
    response = client.get(response["Location"])

    assert Post.objects.get(pk=first.pk).status == Status.PUBLISHED
    assert response["Location"] == compare_url(second)


def test_scheduling_and_sending_back_from_the_comparison_empty_the_queue_onto_the_dashboard(client, author, moderator):
    first, second = submitted(author, "first"), submitted(author, "second")
    client.force_login(moderator)
    at = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")

    move_from_comparison(client, first, "schedule", at=at)
    move_from_comparison(client, second, "send_back", comment="Cite the trial.")
    response = client.get(f"/admin/posts/postinreview/next/?after={second.pk}", follow=True)

    assert workflow.state_of(Post.objects.get(pk=first.pk)) == Status.SCHEDULED
    assert Post.objects.get(pk=second.pk).status == Status.DRAFT
    assert response.redirect_chain[-1][0] == "/admin/"
    assert "Nothing is waiting for review." in response.content.decode()


def test_a_refused_move_from_the_comparison_comes_back_to_the_same_post_saying_why(client, author, moderator):
    submitted(author, "first")  # waiting longer: the refused post is not the next one
    second = submitted(author, "second")
    client.force_login(moderator)

    response = move_from_comparison(client, second, "send_back", comment="")
    response = client.get(response["Location"], follow=True)

    assert response.redirect_chain[-1][0] == compare_url(second)
    assert "needs a comment" in response.content.decode()
    assert workflow.state_of(Post.objects.get(pk=second.pk)) == Status.IN_REVIEW


def test_an_approval_of_a_revision_older_than_the_latest_is_refused(client, author, moderator):
    post = submitted(author)
    read = post.latest_revision_id
    workflow.send_back(post, by=moderator, comment="Shorter.")
    workflow.edit(post, by=author, content=Content("Sleep", "sleep", "Short."), based_on=read)
    post = workflow.submit(post, by=author)
    client.force_login(moderator)

    client.post(f"/admin/posts/post/{post.pk}/move/", {"action": "approve", "revision": read})

    assert workflow.state_of(Post.objects.get(pk=post.pk)) == Status.IN_REVIEW


@pytest.mark.parametrize("action", ["approve", "send_back"])
def test_an_author_or_editor_forging_a_review_move_is_refused(client, author, editor, action):
    post = submitted(author)
    for user in [author, editor]:
        client.force_login(user)
        move_from_comparison(client, post, action, comment="Fine by me.")
        assert workflow.state_of(Post.objects.get(pk=post.pk)) == Status.IN_REVIEW


def test_a_review_move_without_the_csrf_token_is_refused(author, moderator):
    from django.test import Client

    post = submitted(author)
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)

    response = move_from_comparison(client, post, "approve")

    assert response.status_code == 403
    assert workflow.state_of(Post.objects.get(pk=post.pk)) == Status.IN_REVIEW


@pytest.mark.parametrize("role", ["Author", "Editor"])
def test_the_next_post_to_review_is_for_moderators_only(client, author, role):
    submitted(author)
    client.force_login(make_user(role, "someone"))

    assert client.get("/admin/posts/postinreview/next/").status_code == 403


# Tags, the e-mail, the stored sizes


def test_reordered_or_recased_tags_are_no_change():
    old, new, changed = diff.changed_names(["Zinc", "vitamin D"], ["Vitamin d", "zinc"], ignore_case=True)

    assert not changed and "<ins>" not in new and "<del>" not in old


def test_a_tag_added_and_one_removed_are_marked():
    old, new, changed = diff.changed_names(["Zinc", "<b>"], ["zinc", "Iron"], ignore_case=True)

    assert changed
    assert old == "Zinc, <del>&lt;b&gt;</del>" and new == "zinc, <ins>Iron</ins>"


def test_the_comparison_shows_recased_tags_of_an_imported_revision_as_the_same(client, author, moderator):
    post = published_with_changes(author, moderator)
    Revision.objects.filter(pk=post.live_revision_id).update(tags=["SLEEP"])
    client.force_login(moderator)

    page = client.get(compare_url(post)).content.decode()

    assert re.search(r'<tr class="same"><th scope="row">Tags</th>', page)


def test_the_moderators_email_has_the_authors_message_and_a_link_to_the_comparison(
    author, moderator, settings, django_capture_on_commit_callbacks
):
    settings.VDWIKI_SITE_URL = "https://wiki.example.org"
    with django_capture_on_commit_callbacks(execute=True):
        post = write(author, message="Rewrote the summary")
        workflow.submit(post, by=author)

    [sent] = [message for message in mail.outbox if message.to == ["mo@example.com"]]
    assert "Their message:\nRewrote the summary" in sent.body
    assert f"https://wiki.example.org/admin/posts/post/{post.pk}/compare/" in sent.body


def test_a_revision_stores_the_words_its_change_added_and_removed(author, moderator):
    post = published_with_changes(author, moderator, body="a b c d", new_body="a b x y z")

    latest = Post.objects.get(pk=post.pk).latest_revision
    assert (latest.words_added, latest.words_removed) == (3, 2)
    assert (post.live_revision.words_added, post.live_revision.words_removed) == (4, 0)


def test_the_migration_fills_the_sizes_of_revisions_made_before(author, moderator):
    post = published_with_changes(author, moderator, body="a b c d", new_body="a b x y z")
    Revision.objects.update(words_added=0, words_removed=0)

    importlib.import_module("posts.migrations.0014_review_queue").fill_word_counts(apps, None)

    sizes = dict(Revision.objects.filter(post=post).values_list("pk", "words_added"))
    latest = Post.objects.get(pk=post.pk).latest_revision
    assert sizes == {post.live_revision_id: 4, latest.pk: 3}
    assert latest.words_removed == 2


# The dashboard


def sections(page: str) -> dict[str, str]:
    """Each dashboard section's text by its heading."""
    found = re.findall(r'<section class="module dash"[^>]*>\s*<h2[^>]*>(.*?)</h2>(.*?)</section>', page, re.S)
    return {re.sub(r"<span.*", "", title).strip(): unescape(body) for title, body in found}


def test_an_author_sees_their_drafts_and_what_was_sent_back_with_the_comment(client, author, other_author, moderator):
    write(author, "mine")
    workflow.send_back(submitted(author, "returned"), by=moderator, comment="Cite the trial, please.")
    write(other_author, "not-mine")
    submitted(other_author, "theirs-in-review")
    client.force_login(author)

    page = client.get("/admin/").content.decode()
    shown = sections(page)

    assert "Mine" in shown["My drafts"] and "Returned" not in shown["My drafts"]
    assert "Returned" in shown["Sent back to me"] and "Cite the trial, please." in shown["Sent back to me"]
    assert "Not mine" not in page and "Theirs in review" not in page
    assert "Awaiting review" not in shown and "Recent imports" not in shown


@pytest.mark.parametrize(
    ("role", "reviews", "imports"),
    [("Author", False, False), ("Editor", False, False), ("Moderator", True, False), ("Admin", True, True)],
)
def test_each_role_sees_its_own_drafts_only_and_the_sections_of_its_rights(
    client, author, moderator, role, reviews, imports
):
    user = make_user(role, "someone")
    write(user, "own-draft")
    write(author, "another-draft")
    workflow.send_back(submitted(author, "another-returned"), by=moderator, comment="Not for you to read.")
    client.force_login(user)

    page = client.get("/admin/").content.decode()
    shown = sections(page)

    assert "Own draft" in shown["My drafts"]
    assert "Another draft" not in page and "Not for you to read." not in page
    assert ("Awaiting review" in shown) is reviews and ("Recent imports" in shown) is imports


def test_a_moderator_sees_the_count_waiting_the_oldest_first(client, author, moderator):
    submitted(author, "older")
    submitted(author, "newer")
    client.force_login(moderator)

    page = client.get("/admin/").content.decode()

    assert re.search(r'Awaiting review <span class="count">2</span>', page)
    review = sections(page)["Awaiting review"]
    assert review.index("Older") < review.index("Newer")


def test_the_dashboard_lists_scheduled_and_recently_published_posts(client, author, moderator):
    workflow.schedule(submitted(author, "later"), by=moderator, at=timezone.now() + timedelta(days=1))
    workflow.approve(submitted(author, "now-live"), by=moderator)
    client.force_login(author)

    shown = sections(client.get("/admin/").content.decode())

    assert "Later" in shown["Scheduled"]
    assert "Now live" in shown["Recently published"]


def test_another_authors_published_post_is_linked_to_its_public_page(client, author, other_author, moderator):
    post = workflow.approve(submitted(author, "now-live"), by=moderator)
    client.force_login(other_author)

    shown = sections(client.get("/admin/").content.decode())

    assert '<a href="/posts/now-live/">Now live</a>' in shown["Recently published"]
    assert f"/admin/posts/post/{post.pk}/" not in shown["Recently published"]


def test_an_author_sees_no_one_elses_scheduled_post(client, author, other_author, moderator):
    workflow.schedule(submitted(other_author, "theirs"), by=moderator, at=timezone.now() + timedelta(days=1))
    client.force_login(author)

    shown = sections(client.get("/admin/").content.decode())

    assert shown["Scheduled"].strip().endswith("Nothing is scheduled.</p>")


def test_an_admin_sees_the_recent_imports(client, admin_user):
    ImportRun.objects.create(source="dump-2026.zip", report={"summary": {"created": 12}}, finished=timezone.now())
    client.force_login(admin_user)

    shown = sections(client.get("/admin/").content.decode())

    assert "dump-2026.zip" in shown["Recent imports"] and "12 created" in shown["Recent imports"]


def test_empty_lists_say_so_in_words(client, moderator):
    client.force_login(moderator)

    shown = sections(client.get("/admin/").content.decode())

    assert "You have no drafts." in shown["My drafts"]
    assert "Nothing was sent back to you." in shown["Sent back to me"]
    assert "Nothing is waiting for review." in shown["Awaiting review"]
    assert "Nothing was published yet." in shown["Recently published"]


def test_the_dashboard_keeps_the_app_list_and_names_the_site(client, moderator, settings):
    settings.VDWIKI_SITE_NAME = "D Wiki"
    client.force_login(moderator)

    page = client.get("/admin/").content.decode()

    assert "D Wiki" in page and "Django administration" not in page
    assert 'href="/admin/posts/post/"' in page and "posts/admin.css" in page


def test_every_admin_page_has_the_sites_look(client, moderator):
    client.force_login(moderator)

    assert "posts/admin.css" in client.get("/admin/posts/category/").content.decode()


def test_the_dashboard_sends_anonymous_visitors_to_the_login(client):
    response = client.get("/admin/")

    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize("posts", [1, 10])
def test_the_dashboard_costs_the_same_queries_however_many_posts(
    client, author, moderator, posts, django_assert_max_num_queries
):
    for n in range(posts):
        workflow.approve(submitted(author, f"live-{n}"), by=moderator)
        submitted(author, f"waiting-{n}")
        write(moderator, f"draft-{n}")
    client.force_login(moderator)
    client.get("/admin/")

    with django_assert_max_num_queries(14):
        client.get("/admin/")


def test_the_comparison_shows_a_changed_summary_word_by_word(client, author, moderator):
    post = workflow.publish(write(author, "live"), by=moderator)
    content = Content(post.title, "live", BODY, tags=("Sleep",), summary="Adults slept longer <b>on</b> vitamin D.")
    workflow.edit(post, by=author, content=content, based_on=post.latest_revision)
    client.force_login(moderator)

    page = client.get(compare_url(post)).content.decode()

    row = re.search(r'<tr class="(\w+)"><th scope="row">Summary</th>(.*?)</tr>', page, re.S)
    assert row[1] == "changed"
    assert "<ins>Adults slept longer &lt;b&gt;on&lt;/b&gt; vitamin D.</ins>" in row[2]
