"""The workflow's own refusals, whatever page or command calls it: only those who may edit a post
submit it or restore one of its revisions."""

import pytest
from django.core.exceptions import PermissionDenied

from posts import workflow
from posts.models import Post, PostAction
from posts.workflow import Content

from .factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(roles):
    return make_user("Author", "owner")


def snapshot(post: Post) -> tuple:
    post = Post.objects.get(pk=post.pk)
    return post.status, post.body, post.latest_revision_id, post.revisions.count(), PostAction.objects.count()


@pytest.mark.parametrize("role", ["Author", None])
def test_a_user_who_may_not_edit_a_post_cannot_submit_it(role, owner):
    post = workflow.create(by=owner, content=Content("Theirs", "theirs", "Their draft."))
    before = snapshot(post)

    with pytest.raises(PermissionDenied):
        workflow.submit(post, by=make_user(role, "intruder"))

    assert snapshot(post) == before


@pytest.mark.parametrize("role", ["Author", None])
def test_a_user_who_may_not_edit_a_post_cannot_restore_its_revisions(role, owner):
    post = workflow.create(by=owner, content=Content("Theirs", "theirs", "First words."))
    first = post.latest_revision
    latest = workflow.edit(post, by=owner, content=Content("Theirs", "theirs", "Second words."), based_on=first)
    before = snapshot(post)

    with pytest.raises(PermissionDenied):
        workflow.restore(first, by=make_user(role, "intruder"), based_on=latest)

    assert snapshot(post) == before
