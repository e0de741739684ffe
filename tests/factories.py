"""Data for the tests: staff users in a role, posts made as editors make them, and a small real image."""

import importlib
import io
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from PIL import Image

PASSWORD = "pw-123-secret"


# The data migrations that make the role groups and give them their permissions, in order.
ROLE_MIGRATIONS = [("0002_roles", "create_roles"), ("0007_workflow", "grant_audit_log"),
                   ("0011_admins_unlock_logins", "grant_unlocking"),
                   ("0019_not_found_and_alias_hits", "grant"), ("0020_post_links", "grant"),
                   ("0021_category_merge", "grant")]  # fmt: skip


def make_role_groups() -> None:
    """The role groups as the migrations make them, when missing: a transactional test's flush
    keeps what post_migrate makes (permissions) but not what data migrations made."""
    if Group.objects.filter(name="Admin").exists():
        return
    state = MigrationLoader(connection).project_state(("posts", ROLE_MIGRATIONS[-1][0]))
    for migration, function in ROLE_MIGRATIONS:
        getattr(importlib.import_module(f"posts.migrations.{migration}"), function)(state.apps, None)


def make_user(role: str | None, name: str, *, staff: bool = True):
    """A user in the role's group (no group for None), with `name`@example.com and PASSWORD."""
    user = get_user_model().objects.create_user(name, f"{name}@example.com", PASSWORD, is_staff=staff)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def png(width: int = 8, height: int = 8) -> bytes:
    image = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(image, "PNG")
    return image.getvalue()


def workflow_user():
    """The one who makes the posts of `make_post`: allowed every move."""
    user, _ = get_user_model().objects.get_or_create(
        username="post-maker", defaults={"is_superuser": True, "is_staff": True, "email": "maker@example.com"}
    )
    return user


def make_post(
    slug: str, *, title: str = "", body: str = "", categories=(), tags=(), summary: str = "", status=None, **details
):
    """A post made as editors make one, through the workflow's verbs: created with this content,
    then published (or put in `status`: draft, unpublished, deleted); `details`: its own fields
    (date, lastmod, author, tiki_page_id)."""
    from posts import workflow
    from posts.models import Category, Post

    by = workflow_user()
    for name in categories:
        Category.objects.get_or_create(name=name)
    title = title or slug.replace("-", " ").capitalize()
    content = workflow.Content(title, slug, body, tuple(categories), tuple(tags), summary)
    post = workflow.create(by=by, content=content, post=Post(author=details.pop("author", by), **details))
    status = status or Post.Status.PUBLISHED
    if status != Post.Status.DRAFT:
        workflow.publish(post, by=by)
    if status == Post.Status.UNPUBLISHED:
        workflow.unpublish(post, by=by)
    elif status == Post.Status.DELETED:
        workflow.delete(post, by=by)
    return Post.objects.get(pk=post.pk)


def change_post(post, **content):
    """Edit the post's content (title, slug, body, categories, tags, summary) and publish the change."""
    from posts import workflow
    from posts.models import Category, Post

    by = workflow_user()
    post = Post.objects.select_related("latest_revision").get(pk=post.pk)
    for name in content.get("categories", ()):
        Category.objects.get_or_create(name=name)
    old = workflow.Content.of(post.latest_revision)
    new = workflow.Content(
        **{**old.__dict__, **{name: tuple(v) if isinstance(v, list) else v for name, v in content.items()}}
    )
    workflow.edit(post, by=by, content=new, based_on=post.latest_revision)
    workflow.publish(post, by=by)
    return Post.objects.get(pk=post.pk)


def make_posts(count, *, start=0):
    """`count` published posts, each in two categories and with three tags."""
    categories = ("Top news", "Pregnancy", "Bones")
    for n in range(start, start + count):
        make_post(
            f"post-{n}",
            title=f"Post number {n}",
            body=f"## First\n\nText {n}\n\n## Second\n\nMore\n\n## Third\n\nEnd",
            categories=categories[n % 2 : n % 2 + 2],
            tags=[f"tag {n % 4}", f"tag {n % 5}", "vitamin d"],
            date=datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=n),
        )
