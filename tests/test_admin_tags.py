"""The Tag admin (posts/admin.py): taggit's own pages, without what would not reach our posts; renames refresh them."""

import pytest
from django.test import Client
from taggit.models import Tag

from posts import workflow
from posts.models import Post
from posts.workflow import Content

from .factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(roles):
    client = Client()
    client.force_login(make_user("Admin", "ada"))
    return client


@pytest.fixture
def tagged(roles):
    moderator = make_user("Moderator", "mo")
    for slug, tag in [("one", "Vitamin-D"), ("two", "Vitamin D3")]:
        post = workflow.create(by=moderator, content=Content(slug.title(), slug, "Text.", tags=(tag,)))
        workflow.publish(post, by=moderator)


def test_the_tag_admin_offers_no_merge_that_would_leave_every_post_as_it_was(admin_client, tagged):
    """taggit's merge moves its generic TaggedItem rows, which posts do not use: it said "Tags
    have been merged" and changed no post."""
    listed = admin_client.get("/admin/taggit/tag/")
    assert listed.status_code == 200 and "Merge selected tags" not in listed.text
    chosen = [str(pk) for pk in Tag.objects.values_list("pk", flat=True)]
    admin_client.post("/admin/taggit/tag/", {"action": "render_tag_form", "_selected_action": chosen})
    merged = admin_client.post("/admin/taggit/tag/merge-tags/", {"new_tag_name": "Vitamin D"})
    assert merged.status_code in (302, 404) and not Tag.objects.filter(name="Vitamin D").exists()
    tags = {post.slug: sorted(post.tags.names()) for post in Post.objects.all()}
    assert tags == {"one": ["Vitamin-D"], "two": ["Vitamin D3"]}


def test_a_tag_renamed_in_the_tag_admin_shows_on_its_posts(admin_client, tagged):
    tag = Tag.objects.get(name="Vitamin-D")
    page = admin_client.get(f"/admin/taggit/tag/{tag.pk}/change/")
    assert page.status_code == 200
    saved = admin_client.post(f"/admin/taggit/tag/{tag.pk}/change/", {"name": "Vitamin D", "slug": "vitamin-d"})
    assert saved.status_code == 302
    assert "Vitamin D<" in Client().get("/posts/one/").text
