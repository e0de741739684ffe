"""The admin as editors meet it: permissions by role, aliases, revisions."""

import pytest
from django.contrib.auth.models import Group

from posts.models import Alias, Post

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
