"""Migrations that change stored data run forwards, backwards and forwards again over posts."""

from datetime import UTC, datetime

import pytest

from posts.models import Post
from posts.related import related_posts

from .factories import make_post


@pytest.mark.django_db(transaction=True)
def test_migrations_0012_and_0013_reverse_and_run_again_on_a_database_holding_posts(client):
    from django.core.management import call_command

    from .test_excerpt import CITATION

    make_post("this", tags=["rickets", "Sunshine"], body=CITATION + "We assessed monthly calcifediol in women.")
    make_post("other", tags=["sunshine"], date=datetime(2030, 1, 1, tzinfo=UTC))
    make_post("bare", body="Short.")
    make_post("a-draft", tags=["rickets"], status=Post.Status.DRAFT)
    expected = {post.slug: (post.summary, sorted(post.article["tag_ids"])) for post in Post.objects.all()}
    Post.objects.filter(slug="this").update(summary="Nutrients 2024, 16, 1754. https://doi.org/10.3390/nu16111754")

    call_command("migrate", "posts", "0011", verbosity=0)
    # Read as columns: the model's later fields are not there at 0011.
    assert not [slug for slug, article in Post.objects.values_list("slug", "article") if "tag_ids" in article]
    call_command("migrate", "posts", verbosity=0)
    call_command("migrate", "posts", "0011", verbosity=0)
    call_command("migrate", "posts", verbosity=0)

    found = {post.slug: (post.summary, sorted(post.article["tag_ids"])) for post in Post.objects.all()}
    assert found == expected
    assert client.get("/posts/this/").status_code == 200
    assert [p.slug for p in related_posts(Post.objects.get(slug="this"))] == ["other"]


@pytest.mark.django_db(transaction=True)
def test_migration_0017_reversed_and_run_again_leaves_search_following_the_posts():
    from django.core.management import call_command

    from posts.search import search

    from .factories import change_post

    before = make_post("before", body="Quokkas were counted.", summary="A census of quokkas.")
    call_command("migrate", "posts", "0016", verbosity=0)
    call_command("migrate", "posts", verbosity=0)
    make_post("after", body="Wombats were counted.")
    change_post(before, body="Numbats were counted.")

    assert [[post.slug for post in search(word)] for word in ("wombats", "numbats", "quokkas")] == [
        ["after"],
        ["before"],
        [],
    ]


@pytest.mark.django_db(transaction=True)
def test_migration_0022_keeps_search_following_the_posts_and_makes_every_post_a_post():
    """0022 remakes the posts' table on SQLite, which drops the search triggers: made again."""
    from django.core.management import call_command

    from posts.search import search

    from .factories import change_post

    before = make_post("before", body="Quokkas were counted.")
    call_command("migrate", "posts", "0021", verbosity=0)
    call_command("migrate", "posts", verbosity=0)
    make_post("after", body="Wombats were counted.")
    change_post(before, body="Numbats were counted.")

    assert [[post.slug for post in search(word)] for word in ("wombats", "numbats", "quokkas")] == [
        ["after"],
        ["before"],
        [],
    ]
    assert set(Post.objects.values_list("kind", "path")) == {(Post.Kind.POST, "")}


@pytest.mark.django_db(transaction=True)
def test_migration_0023_makes_labels_of_the_categories_and_tags_as_they_are_now():
    """Labels a rename left stale, and a hidden category's name, leave the labels and the search."""
    from django.core.management import call_command

    from posts.models import Category
    from posts.search import search

    make_post("zinc", title="Zinc and copper", categories=["Quuxolin", "Wobblefrost"], tags=["selenium"])
    make_post("iron", title="Iron", tags=["ferritin"])
    Category.objects.filter(name="Quuxolin").update(name="Dribbleflax")  # as a rename done outside the admin
    Category.objects.filter(name="Wobblefrost").update(hidden=True)
    call_command("migrate", "posts", "0022", verbosity=0)
    call_command("migrate", "posts", verbosity=0)

    assert dict(Post.objects.values_list("slug", "labels")) == {"zinc": "Dribbleflax\nselenium", "iron": "ferritin"}
    assert [[post.slug for post in search(word)] for word in ("dribbleflax", "quuxolin", "wobblefrost")] == [
        ["zinc"],
        [],
        [],
    ]
