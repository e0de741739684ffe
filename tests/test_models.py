"""An unpublished post and a waiting change, as each role meets them through every public URL:
only those who may edit the post see it (PostQuerySet.visible_to); a signed preview link shows it
to anyone holding it."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from posts import related, workflow
from posts.models import Alias, Category, Post, PostInReview
from posts.previews import preview_url
from posts.workflow import Content

from .factories import make_user

pytestmark = pytest.mark.django_db

Status = Post.Status
HIDDEN_TITLE = "Hidden calcifediol trial"
HIDDEN_SLUG = "hidden-calcifediol-trial"
HIDDEN_ALIAS = "/Hidden+calcifediol+trial+-+Mar+2020"
WAITING_TITLE = "Waiting magnesium change"
SEES_DRAFTS = {"author": True, "other author": False, "editor": True, "moderator": True, "admin": True}


@pytest.fixture
def users(roles):
    users = {name: make_user(name.split()[-1].capitalize(), name.replace(" ", "-")) for name in SEES_DRAFTS}
    return users


@pytest.fixture
def clients(users):
    clients = {"reader": Client()}
    for name, user in users.items():
        clients[name] = Client()
        clients[name].force_login(user)
    return clients


def write(author, title: str, slug: str, day: int, *, body: str = "Vitamin D and calcifediol.") -> Post:
    Category.objects.get_or_create(name="Trials")
    post = workflow.create(by=author, content=Content(title, slug, body, ("Trials",), ("calcifediol", "trial")))
    Post.objects.filter(pk=post.pk).update(date=datetime(2020, 3, day, tzinfo=UTC))
    return Post.objects.get(pk=post.pk)


def bring_to(post: Post, state: str, author, moderator) -> Post:
    if state != Status.DRAFT:
        workflow.submit(post, by=author)
    if state == Status.SCHEDULED:
        workflow.schedule(post, by=moderator, at=datetime.now(UTC) + timedelta(days=400))
    elif state == Status.UNPUBLISHED:
        workflow.approve(post, by=moderator)
        workflow.unpublish(post, by=moderator)
    return Post.objects.get(pk=post.pk)


@pytest.fixture
def site(users):
    """Two published posts around a hidden one (same category, same tags), and a waiting change
    to the first published post."""
    moderator = users["moderator"]
    published = [write(users["other author"], f"Published trial {n}", f"published-trial-{n}", day) for n, day in
                 ((1, 1), (2, 3))]  # fmt: skip
    for post in published:
        bring_to(post, Status.IN_REVIEW, users["other author"], moderator)
        workflow.approve(post, by=moderator)
    first = Post.objects.get(pk=published[0].pk)
    content = Content(WAITING_TITLE, first.slug, "Magnesium words.", ("Trials",), ("calcifediol", "trial"))
    workflow.edit(first, by=users["editor"], content=content, based_on=first.latest_revision)
    related.refresh_tag_digests()
    return first


def public_urls(published: Post) -> list[str]:
    return [
        "/", "/posts/", "/categories/", "/categories/trials/", "/tags/", "/tags/calcifediol/", "/archive/",
        "/archive/2020/", "/archive/2020/3/", "/search/?q=calcifediol", "/search/?q=hidden", "/search/?q=magnesium",
        "/feed/", "/feed/atom/", "/categories/trials/feed/", "/tags/calcifediol/feed/atom/", "/sitemap.xml",
        "/sitemap-posts.xml", published.get_absolute_url(), "/posts/hidden-calcifediol-trials/",
    ]  # fmt: skip


@pytest.mark.parametrize("state", [Status.DRAFT, Status.IN_REVIEW, Status.SCHEDULED, Status.UNPUBLISHED])
def test_an_unpublished_post_is_seen_only_by_those_who_may_edit_it(state, users, clients, site):
    hidden = bring_to(write(users["author"], HIDDEN_TITLE, HIDDEN_SLUG, 2), state, users["author"], users["moderator"])
    Alias.objects.create(path=HIDDEN_ALIAS, post=hidden)
    assert hidden.status == state
    page = hidden.get_absolute_url()
    for role, client in clients.items():
        sees = SEES_DRAFTS.get(role, False)
        response = client.get(page)
        assert response.status_code == (200 if sees else 404), role
        assert (HIDDEN_TITLE in response.content.decode()) == sees, role
        assert client.get(HIDDEN_ALIAS).status_code == (301 if sees else 404), role
        assert client.get(page.rstrip("/")).status_code == (301 if sees else 404), role
        for url in public_urls(site):
            response = client.get(url)
            assert response.status_code in (200, 404), (role, url)
            assert HIDDEN_SLUG not in response.content.decode(), (role, url)
            assert HIDDEN_TITLE not in response.content.decode(), (role, url)


def test_view_on_site_leads_only_to_posts_the_user_may_see(users, clients, site):
    hidden = write(users["author"], HIDDEN_TITLE, HIDDEN_SLUG, 2)
    for model in (Post, PostInReview):
        url = f"/admin/r/{ContentType.objects.get_for_model(model, for_concrete_model=False).pk}/{hidden.pk}/"
        for role in SEES_DRAFTS:
            response = clients[role].get(url)
            expected = (302, f"http://testserver{hidden.get_absolute_url()}") if SEES_DRAFTS[role] else (404, None)
            assert (response.status_code, response.get("Location")) == expected, (model, role)
        assert clients["reader"].get(url).status_code == 302  # to the login page
        assert clients["reader"].get(url)["Location"].startswith("/admin/login/")
    published = f"/admin/r/{ContentType.objects.get_for_model(Post).pk}/{site.pk}/"
    assert clients["other author"].get(f"{published[:-1]}x/").status_code == 404
    assert clients["reader"].get(published)["Location"].startswith("/admin/login/")
    assert clients["author"].get(published)["Location"] == f"http://testserver{site.get_absolute_url()}"


def test_a_waiting_change_is_seen_by_no_one_on_the_public_site(clients, site):
    for role, client in clients.items():
        for url in public_urls(site):
            response = client.get(url)
            assert WAITING_TITLE not in response.content.decode(), (role, url)
            assert "Magnesium words" not in response.content.decode(), (role, url)
        assert "Published trial 1" in client.get(site.get_absolute_url()).content.decode(), role


def test_the_preview_link_of_an_unpublished_post_or_a_waiting_change_works_for_anyone(users, clients, site):
    hidden = write(users["author"], HIDDEN_TITLE, HIDDEN_SLUG, 2)
    for client in clients.values():
        assert HIDDEN_TITLE in client.get(preview_url(hidden.latest_revision)).content.decode()
        assert WAITING_TITLE in client.get(preview_url(Post.objects.get(pk=site.pk).latest_revision)).content.decode()


def test_the_alias_list_shows_no_alias_of_a_post_the_user_may_not_see(users, clients, site):
    hidden = write(users["author"], HIDDEN_TITLE, HIDDEN_SLUG, 2)
    Alias.objects.create(path=HIDDEN_ALIAS, post=hidden)
    Alias.objects.create(path="/Published+trial+one", post=site)
    for role, sees in SEES_DRAFTS.items():
        page = clients[role].get("/admin/posts/alias/").content.decode()
        assert "/published trial one" in page, role
        assert ("/hidden calcifediol trial - mar 2020" in page) == sees, role
        assert (HIDDEN_TITLE in page) == sees, role


def test_a_deleted_post_answers_410_to_everyone_those_who_could_edit_it_included(users, clients, site):
    deleted = write(users["author"], HIDDEN_TITLE, HIDDEN_SLUG, 2)
    workflow.delete(deleted, by=users["moderator"])
    for role, client in clients.items():
        assert client.get(deleted.get_absolute_url()).status_code == 410, role
        assert client.get(deleted.get_absolute_url().rstrip("/")).status_code == 410, role


def test_a_category_name_keeps_no_control_character_which_would_break_the_feeds():
    assert Category.objects.create(name="Admin\x07 \x0bnotes\x1f").name == "Admin notes"
