"""The admin (posts/admin.py) as editors meet it: permissions by role; saving a post as each role
that may, in each state, and the fields only those who publish may change (a post's dates and
legacy id, a live post's author); the aliases and attachments of a post readers reach, changed by
moderators only, each change in the audit log; the Tag admin, without what would not reach our
posts."""

import re
from html import unescape

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone
from taggit.models import Tag

from posts import workflow
from posts.models import Alias, Attachment, Post, PostAction
from posts.workflow import Content

from .factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(django_user_model, client):
    user = django_user_model.objects.create_user("writer", password="pw-writer-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Author"))
    client.force_login(user)
    return user


def add_form(**fields):
    return {
        "title": "Mine",
        "slug": "mine",
        "body": "Text",
        "aliases-TOTAL_FORMS": "0",
        "aliases-INITIAL_FORMS": "0",
        "revisions-TOTAL_FORMS": "0",
        "revisions-INITIAL_FORMS": "0",
        **fields,
    }


def test_an_author_cannot_publish_their_own_post_from_the_form(client, author):
    response = client.post("/admin/posts/post/add/", add_form(status="published"))

    assert response.status_code == 302
    post = Post.objects.get(slug="mine")
    assert (post.status, post.author) == (Post.Status.DRAFT, author)


def test_an_author_sees_and_edits_only_their_own_posts(client, author):
    other = Post.objects.create(title="Theirs", slug="theirs")
    Post.objects.create(title="Mine", slug="mine", author=author)

    listing = client.get("/admin/posts/post/").content.decode()

    assert "Mine" in listing and "Theirs" not in listing
    assert client.get(f"/admin/posts/post/{other.pk}/change/").status_code == 302


def test_an_alias_in_another_spelling_of_a_taken_path_is_a_form_error(admin_client):
    post = Post.objects.create(title="P", slug="p")
    Alias.objects.create(path="/Shared+Title", post=post)

    response = admin_client.post(
        "/admin/posts/alias/add/", {"path": "/SHARED%20title", "post": post.pk, "kind": "manual"}
    )

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Alias.objects.count() == 1


def test_renaming_a_post_never_takes_an_alias_another_post_holds(admin_user):
    holder = Post.objects.create(title="Holder", slug="holder")
    Alias.objects.create(path="/posts/old", post=holder)
    renamed = Post.objects.create(title="Old", slug="old")

    renamed.slug = "new"
    renamed.save()

    assert Alias.objects.get(path="/posts/old").post == holder


Action = PostAction.Action
REFUSED = "only moderators change the aliases and attachments of a post readers reach."
PDF = "https://d1bk1kqxc0sym.cloudfront.net/attachments/pdf/trial.pdf"


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


Status = Post.Status
TAGS = ("Zinc", "Iron")


@pytest.fixture
def people(roles):
    return {role: make_user(role, role.lower()) for role in ["Author", "Editor", "Moderator", "Admin"]}


def bring_to(state: str, people) -> Post:
    """A post by the Author, tagged, in `state` ("published, changed": published with a draft waiting)."""
    author, moderator = people["Author"], people["Moderator"]
    post = workflow.create(by=author, content=Content("A post", "a-post", "Words 0.", tags=TAGS))
    if state == Status.DRAFT:
        return post
    workflow.submit(post, by=author)
    if state == Status.IN_REVIEW:
        return Post.objects.get(pk=post.pk)
    if state == Status.SCHEDULED:
        return workflow.schedule(post, by=moderator, at=timezone.now() + timezone.timedelta(days=30))
    post = workflow.approve(post, by=moderator)
    if state == Status.UNPUBLISHED:
        return workflow.unpublish(post, by=moderator)
    if state == "published, changed":
        workflow.edit(
            post, by=author, content=Content("A post", "a-post", "Waiting.", tags=TAGS), based_on=post.latest_revision
        )
    return Post.objects.get(pk=post.pk)


def form_of(page: str) -> dict:
    """What the edit page's form sends back unchanged: its inputs, text areas and chosen options."""
    data = {}
    for tag in re.findall(r"<input\b[^>]*>", page):
        name, value, kind = (re.search(rf'\b{attr}="([^"]*)"', tag) for attr in ("name", "value", "type"))
        if name and (kind is None or kind[1] not in ("submit", "checkbox", "button")):
            data[unescape(name[1])] = unescape(value[1]) if value else ""
    for name, text in re.findall(r'<textarea name="([^"]+)"[^>]*>\n?(.*?)</textarea>', page, re.DOTALL):
        data[name] = unescape(text)
    for name, options in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', page, re.DOTALL):
        data[name] = [unescape(v) for v in re.findall(r'<option value="([^"]*)"[^>]*selected', options)]
    return {name: value for name, value in data.items() if name not in ("csrfmiddlewaretoken",)}


def save(client, post: Post, body: str):
    """Open the edit page, type `body`, press Save and continue editing."""
    url = f"/admin/posts/post/{post.pk}/change/"
    data = {**form_of(client.get(url).content.decode()), "body": body, "_continue": "1"}
    return client.post(url, data)


STATES = [Status.DRAFT, Status.IN_REVIEW, Status.SCHEDULED, Status.PUBLISHED, "published, changed"]


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ["Author", "Editor", "Moderator", "Admin"])
def test_each_role_that_may_edit_saves_a_post_in_each_state_three_times(role, state, people, client):
    post = bring_to(state, people)
    client.force_login(people[role])

    for n in range(1, 4):
        response = save(client, post, f"Words {n}.")
        assert response.status_code == 302, (n, response.content.decode()[:3000])
        assert Post.objects.get(pk=post.pk).latest_revision.body == f"Words {n}."

    assert Post.objects.get(pk=post.pk).latest_revision.tags == ["Iron", "Zinc"]


@pytest.mark.parametrize("state", STATES)
def test_saving_again_after_a_refused_save_keeps_the_second_editors_text(state, people, client):
    post = bring_to(state, people)
    url = f"/admin/posts/post/{post.pk}/change/"
    client.force_login(people["Moderator"])
    opened = form_of(client.get(url).content.decode())
    client.force_login(people["Editor"])
    assert save(client, post, "The editor's words.").status_code == 302
    client.force_login(people["Moderator"])

    refused = client.post(url, {**opened, "body": "The moderator's words.", "_continue": "1"})
    assert refused.status_code == 200 and "after you opened it" in unescape(refused.content.decode())
    again = client.post(url, {**form_of(refused.content.decode()), "_continue": "1"})

    assert again.status_code == 302, again.content.decode()[:3000]
    assert Post.objects.get(pk=post.pk).latest_revision.body == "The moderator's words."


FORGED = {
    "date_0": "2031-01-01",
    "date_1": "08:00:00",
    "lastmod_0": "2031-01-02",
    "lastmod_1": "08:00:00",
    "tiki_page_id": "99999",
}
LOCKED = "You may not set a post's original date, last modified, legacy page id. Nothing was saved."


def dates_and_id(post: Post) -> dict:
    return Post.objects.filter(pk=post.pk).values("date", "lastmod", "tiki_page_id", "latest_revision").get()


@pytest.mark.parametrize("state", [*STATES, Status.UNPUBLISHED])
@pytest.mark.parametrize("role", ["Author", "Editor"])
def test_those_who_may_not_publish_cannot_set_a_posts_dates_or_legacy_id_in_any_state(role, state, people, client):
    post = bring_to(state, people)
    before = dates_and_id(post)
    client.force_login(people[role])
    url = f"/admin/posts/post/{post.pk}/change/"
    page = client.get(url).content.decode()
    assert not re.search(r'name="(date_0|lastmod_0|tiki_page_id)"', page)  # shown, not editable

    response = client.post(url, {**form_of(page), "body": "Changed words.", **FORGED})

    assert response.status_code == 200 and LOCKED in unescape(response.content.decode())
    assert dates_and_id(post) == before


def test_an_author_cannot_give_a_new_post_a_date_or_legacy_id(people, client):
    client.force_login(people["Author"])
    page = client.get("/admin/posts/post/add/").content.decode()

    response = client.post("/admin/posts/post/add/", {**form_of(page), "title": "Mine", "slug": "mine", **FORGED})

    assert response.status_code == 200 and LOCKED in unescape(response.content.decode())
    assert not Post.objects.exists()
    response = client.post("/admin/posts/post/add/", {**form_of(page), "title": "Mine", "slug": "mine"})
    assert response.status_code == 302 and Post.objects.get().tiki_page_id is None


@pytest.mark.parametrize("role", ["Moderator", "Admin"])
def test_those_who_publish_set_a_posts_dates_and_legacy_id(role, people, client):
    post = bring_to(Status.IN_REVIEW, people)
    client.force_login(people[role])
    url = f"/admin/posts/post/{post.pk}/change/"

    response = client.post(url, {**form_of(client.get(url).content.decode()), **FORGED})

    assert response.status_code == 302
    post.refresh_from_db()
    assert (post.date.year, post.lastmod.day, post.tiki_page_id) == (2031, 2, 99999)


def test_an_editor_cannot_change_the_author_readers_see_of_a_live_post(people, client):
    post = bring_to(Status.PUBLISHED, people)
    client.force_login(people["Editor"])
    url = f"/admin/posts/post/{post.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="author"' not in page

    response = client.post(url, {**form_of(page), "author": str(people["Editor"].pk)})

    assert response.status_code == 200
    assert "You may not set a post's author. Nothing was saved." in unescape(response.content.decode())
    assert Post.objects.get(pk=post.pk).author == people["Author"]
    assert not PostAction.objects.filter(post=post, user=people["Editor"]).exists()


def test_an_editor_still_gives_a_draft_another_author(people, client):
    post = bring_to(Status.DRAFT, people)
    client.force_login(people["Editor"])
    url = f"/admin/posts/post/{post.pk}/change/"

    response = client.post(url, {**form_of(client.get(url).content.decode()), "author": str(people["Editor"].pk)})

    assert response.status_code == 302
    assert Post.objects.get(pk=post.pk).author == people["Editor"]
    action = PostAction.objects.filter(post=post, user=people["Editor"]).get()
    assert (action.action, action.comment) == ("edit", "Changed author: author → editor")


def test_a_moderators_change_to_a_live_posts_author_and_dates_is_in_the_audit_log(people, client):
    post = bring_to(Status.PUBLISHED, people)
    client.force_login(people["Moderator"])
    url = f"/admin/posts/post/{post.pk}/change/"
    data = {**form_of(client.get(url).content.decode()), **FORGED, "author": str(people["Moderator"].pk)}

    assert client.post(url, data).status_code == 302

    action = PostAction.objects.filter(post=post, user=people["Moderator"], action="edit").get()
    assert (action.action, action.from_state, action.to_state) == ("edit", Status.PUBLISHED, Status.PUBLISHED)
    assert action.comment.startswith("Changed author: author → moderator; original date: ")
    assert "→ 2031-01-01 08:00" in action.comment and "legacy page id: — → 99999" in action.comment


@pytest.fixture
def admin_role_client(roles):
    client = Client()
    client.force_login(make_user("Admin", "ada"))
    return client


@pytest.fixture
def tagged(roles):
    moderator = make_user("Moderator", "mo")
    for slug, tag in [("one", "Vitamin-D"), ("two", "Vitamin D3")]:
        post = workflow.create(by=moderator, content=Content(slug.title(), slug, "Text.", tags=(tag,)))
        workflow.publish(post, by=moderator)


def test_the_tag_admin_offers_no_merge_that_would_leave_every_post_as_it_was(admin_role_client, tagged):
    """taggit's merge moves its generic TaggedItem rows, which posts do not use: it said "Tags
    have been merged" and changed no post."""
    listed = admin_role_client.get("/admin/taggit/tag/")
    assert listed.status_code == 200 and "Merge selected tags" not in listed.text
    chosen = [str(pk) for pk in Tag.objects.values_list("pk", flat=True)]
    admin_role_client.post("/admin/taggit/tag/", {"action": "render_tag_form", "_selected_action": chosen})
    merged = admin_role_client.post("/admin/taggit/tag/merge-tags/", {"new_tag_name": "Vitamin D"})
    assert merged.status_code in (302, 404) and not Tag.objects.filter(name="Vitamin D").exists()
    tags = {post.slug: sorted(post.tags.names()) for post in Post.objects.all()}
    assert tags == {"one": ["Vitamin-D"], "two": ["Vitamin D3"]}


def test_a_tag_renamed_in_the_tag_admin_shows_on_its_posts(admin_role_client, tagged):
    tag = Tag.objects.get(name="Vitamin-D")
    page = admin_role_client.get(f"/admin/taggit/tag/{tag.pk}/change/")
    assert page.status_code == 200
    saved = admin_role_client.post(f"/admin/taggit/tag/{tag.pk}/change/", {"name": "Vitamin D", "slug": "vitamin-d"})
    assert saved.status_code == 302
    assert "Vitamin D<" in Client().get("/posts/one/").text
