"""Saving a post in the admin as each role that may, in each state, again and again; and the
fields only those who publish may change (a post's dates and legacy id, a live post's author),
each change in the audit log."""

import re
from html import unescape

import pytest
from django.utils import timezone

from posts import workflow
from posts.models import Post, PostAction
from posts.workflow import Content

from .factories import make_user

pytestmark = pytest.mark.django_db

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
