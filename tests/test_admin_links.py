"""Aliases and attachments of a post readers reach: changed by moderators only, from every admin
page that changes them, each change in the audit log; editors are told why they cannot."""

import re
from html import unescape

import pytest
from django.core.exceptions import PermissionDenied

from posts import workflow
from posts.models import Alias, Attachment, Post, PostAction
from posts.workflow import Content

from .factories import make_user

pytestmark = pytest.mark.django_db

Action = PostAction.Action
REFUSED = "only moderators change the aliases and attachments of a post readers reach."
PDF = "https://d1bk1kqxc0sym.cloudfront.net/attachments/pdf/trial.pdf"


@pytest.fixture
def people(roles):
    return {role: make_user(role, role.lower()) for role in ["Author", "Editor", "Moderator"]}


def post_of(people, slug: str, *, live: bool = True) -> Post:
    post = workflow.create(by=people["Author"], content=Content(slug.title(), slug, "Words."))
    return workflow.publish(post, by=people["Moderator"]) if live else post


def logged(action=Action.ALIASES) -> list[tuple[str, str, str]]:
    rows = PostAction.objects.filter(action=action).order_by("post_title")
    return list(rows.values_list("post_title", "user__username", "comment"))


def text(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def post_form(post: Post, **fields) -> dict:
    return {
        "title": post.title,
        "slug": post.slug,
        "body": post.body,
        "based_on": post.latest_revision_id,
        "aliases-TOTAL_FORMS": "0",
        "aliases-INITIAL_FORMS": "0",
        **fields,
    }


def test_an_editor_sees_a_live_posts_aliases_but_cannot_add_change_or_remove_them(people, client):
    post = post_of(people, "live")
    alias = Alias.objects.create(path="/15008", post=post)
    client.force_login(people["Editor"])
    url = f"/admin/posts/post/{post.pk}/change/"

    page = client.get(url)
    assert "/15008" in text(page) and "Readers reach this post: only moderators change" in text(page)
    assert 'name="aliases-0-path"' not in page.content.decode()
    forged = {
        "aliases-TOTAL_FORMS": "2",
        "aliases-INITIAL_FORMS": "1",
        "aliases-0-id": alias.pk,
        "aliases-0-post": post.pk,
        "aliases-0-path": "/15009",
        "aliases-0-kind": "manual",
        "aliases-0-DELETE": "on",
        "aliases-1-post": post.pk,
        "aliases-1-path": "/Another+Old+Title",
        "aliases-1-kind": "manual",
    }
    client.post(url, post_form(post, **forged))

    assert list(Alias.objects.values_list("path", "post")) == [("/15008", post.pk)]
    assert logged() == []


def test_a_moderator_changes_a_live_posts_aliases_on_its_page_and_the_log_says_what_changed(people, client):
    post = post_of(people, "live")
    alias = Alias.objects.create(path="/15008", post=post)
    client.force_login(people["Moderator"])
    fields = {
        "date_0": "2026-11-22",
        "date_1": "10:00:00",
        "aliases-TOTAL_FORMS": "2",
        "aliases-INITIAL_FORMS": "1",
        "aliases-0-id": alias.pk,
        "aliases-0-post": post.pk,
        "aliases-0-path": "/15008",
        "aliases-0-kind": "manual",
        "aliases-0-DELETE": "on",
        "aliases-1-post": post.pk,
        "aliases-1-path": "/Another+Old+Title",
        "aliases-1-kind": "manual",
    }

    response = client.post(f"/admin/posts/post/{post.pk}/change/", post_form(post, **fields))

    assert response.status_code == 302
    assert list(Alias.objects.values_list("path", flat=True)) == ["/another old title"]
    assert logged() == [("Live", "moderator", "Added /another old title; removed /15008")]
    client.force_login(people["Moderator"])
    log = text(client.get("/admin/posts/postaction/", {"action__exact": "aliases"}))
    assert "Changed aliases Live Published Published Added /another old title; removed /15008" in log


def test_an_editor_cannot_point_an_alias_at_a_live_post_or_move_a_live_posts_alias(people, client):
    live, draft = post_of(people, "live"), post_of(people, "draft", live=False)
    old_link = Alias.objects.create(path="/15008", post=live)
    draft_link = Alias.objects.create(path="/9708", post=draft)
    client.force_login(people["Editor"])

    added = client.post("/admin/posts/alias/add/", {"path": "/New+Link", "post": live.pk, "kind": "manual"})
    moved_here = client.post(
        f"/admin/posts/alias/{draft_link.pk}/change/", {"path": "/9708", "post": live.pk, "kind": "manual"}
    )
    page = client.get(f"/admin/posts/alias/{old_link.pk}/change/")
    moved_away = client.post(
        f"/admin/posts/alias/{old_link.pk}/change/", {"path": "/15008", "post": draft.pk, "kind": "manual"}
    )

    assert f"“Live” is published: {REFUSED}" in text(added) and f"“Live” is published: {REFUSED}" in text(moved_here)
    assert 'name="path"' not in page.content.decode() and moved_away.status_code == 403
    assert sorted(Alias.objects.values_list("path", "post")) == [("/15008", live.pk), ("/9708", draft.pk)]
    assert logged() == []


def test_a_moderator_moves_an_alias_to_another_post_and_both_posts_log_it(people, client):
    old, new = post_of(people, "old"), post_of(people, "new")
    alias = Alias.objects.create(path="/15008", post=old)
    client.force_login(people["Moderator"])

    response = client.post(
        f"/admin/posts/alias/{alias.pk}/change/", {"path": "/15008", "post": new.pk, "kind": "manual"}
    )

    assert response.status_code == 302
    assert logged() == [
        ("New", "moderator", "/15008 moved here from “Old”"),
        ("Old", "moderator", "/15008 moved to “New”"),
    ]
    client.logout()
    assert client.get("/15008")["Location"] == "/posts/new/"


def test_deleting_aliases_in_bulk_logs_it_on_each_post(people, client):
    first, second = post_of(people, "first"), post_of(people, "second")
    aliases = [Alias.objects.create(path="/1", post=first), Alias.objects.create(path="/2", post=second)]
    client.force_login(people["Moderator"])

    client.post(
        "/admin/posts/alias/",
        {"action": "delete_selected", "_selected_action": [alias.pk for alias in aliases], "post": "yes"},
    )

    assert not Alias.objects.exists()
    assert logged() == [("First", "moderator", "Removed /1"), ("Second", "moderator", "Removed /2")]


def test_an_editor_changes_a_drafts_aliases_and_the_log_says_so(people, client):
    draft = post_of(people, "draft", live=False)
    client.force_login(people["Editor"])

    response = client.post("/admin/posts/alias/add/", {"path": "/Old+Draft+Title", "post": draft.pk, "kind": "manual"})

    assert response.status_code == 302
    assert logged() == [("Draft", "editor", "Added /old draft title")]


def test_an_editor_cannot_change_an_attachment_a_live_post_shows_and_a_moderator_can(people, client):
    live = post_of(people, "live")
    attachment = Attachment.objects.create(legacy_url=PDF, kind=Attachment.Kind.PDF)
    attachment.posts.add(live)
    url = f"/admin/posts/attachment/{attachment.pk}/change/"
    changed = {"legacy_url": PDF.replace("trial", "other"), "kind": "pdf", "posts": str(live.pk)}
    client.force_login(people["Editor"])

    assert 'name="legacy_url"' not in client.get(url).content.decode()
    assert client.post(url, changed).status_code == 403
    assert Attachment.objects.get().legacy_url == PDF and logged(Action.ATTACHMENTS) == []

    client.force_login(people["Moderator"])
    assert client.post(url, changed).status_code == 302
    assert Attachment.objects.get().legacy_url == PDF.replace("trial", "other")
    assert logged(Action.ATTACHMENTS) == [
        ("Live", "moderator", f"Attachment trial.pdf: URL {PDF} → {changed['legacy_url']}")
    ]


def test_an_editor_cannot_show_an_attachment_on_a_live_post(people, client):
    live, draft = post_of(people, "live"), post_of(people, "draft", live=False)
    attachment = Attachment.objects.create(legacy_url=PDF, kind=Attachment.Kind.PDF)
    attachment.posts.add(draft)
    client.force_login(people["Editor"])

    response = client.post(
        f"/admin/posts/attachment/{attachment.pk}/change/",
        {"legacy_url": PDF, "kind": "pdf", "posts": f"{draft.pk},{live.pk}"},
    )

    assert f"“Live” is published: {REFUSED}" in text(response)
    assert list(attachment.posts.all()) == [draft] and logged(Action.ATTACHMENTS) == []


def test_the_workflow_refuses_an_editors_change_to_a_live_posts_links_and_changes_nothing(people):
    live = post_of(people, "live")
    alias = Alias.objects.create(path="/15008", post=live)
    attachment = Attachment.objects.create(legacy_url=PDF)
    attachment.posts.add(live)
    editor = people["Editor"]

    alias.path = "/15009"
    attachment.legacy_url = PDF.replace("trial", "other")
    for change in [
        lambda: workflow.change_aliases(by=editor, save=[alias]),
        lambda: workflow.change_aliases(by=editor, save=[Alias(path="/new", post=live)]),
        lambda: workflow.change_attachment(attachment, by=editor),
    ]:
        with pytest.raises(PermissionDenied, match=REFUSED):
            change()

    assert list(Alias.objects.values_list("path", flat=True)) == ["/15008"]
    assert Attachment.objects.get().legacy_url == PDF and not PostAction.objects.filter(user=editor).exists()
