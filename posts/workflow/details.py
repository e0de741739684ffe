"""What readers reach of a post besides its content, which no revision holds: its own fields
(author, dates, legacy id), its aliases (legacy URLs) and its attachments. Each change is checked
and logged on every post it concerns."""

from collections import defaultdict
from collections.abc import Iterable
from contextlib import contextmanager
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .. import site_pages
from ..aliases import normalize_path
from ..changes import refresh
from ..models import Alias, Attachment, NotFound, Post
from . import audit
from .moves import tag_ids_of
from .states import REACHED, Action, describe_state, locked, may_edit

DETAILS = ("author", "date", "lastmod", "tiki_page_id", "path")


def may_set_details(user, post: Post | None) -> set[str]:
    """The post's own fields (no revision holds them) the user may set: its dates and legacy id
    order the home page and feeds, so those who publish; its author, those who edit others' posts,
    and once readers see it (feeds, the page's data), those who publish. A site page's address,
    those who may edit the page until readers reach it, then those who publish (site_pages.py);
    while it is scheduled too: a moderator approved it to go live where it is, as a change to its
    content takes it off the schedule."""
    publishes = user.has_perm("posts.publish_post")
    unreached = post is None or post.status not in REACHED
    allowed = {"date", "lastmod", "tiki_page_id"} if publishes else set()
    if user.has_perm("posts.change_others_post") and (publishes or unreached):
        allowed.add("author")
    editor = post is None or may_edit(user, post)
    movable = post is None or (unreached and post.status != Post.Status.SCHEDULED and editor)
    if (post is None or post.kind == Post.Kind.PAGE) and (publishes or movable):
        allowed.add("path")
    return allowed


def change_details(post: Post, *, by, values: dict) -> Post:
    """Set the post's own fields in `values` (names from DETAILS), logged with what changed. A
    site page readers reached leaves its old address behind as an alias."""
    with transaction.atomic():
        post = locked(post)
        changed = {name: value for name, value in values.items() if getattr(post, name) != value}
        refused = set(changed) - may_set_details(by, post)
        if refused:
            raise PermissionDenied(f"You may not set a post's {', '.join(sorted(refused))}.")
        if not changed:
            return post
        if "path" in changed:
            _move_page(post, changed["path"])
        lines = [
            f"{Post._meta.get_field(name).verbose_name}: {_shown(getattr(post, name))} → {_shown(value)}"
            for name, value in changed.items()
        ]
        for name, value in changed.items():
            setattr(post, name, value)
        post.save(update_fields=[*changed, "updated"])
        audit.log(post, by, Action.EDIT, audit.logged_state(post), post.latest_revision, "Changed " + "; ".join(lines))
        refresh([post.pk], seen=post.status in REACHED, tag_ids=tag_ids_of(post) if post.is_published else ())
    return post


def _move_page(page: Post, path: str) -> None:
    """Check the page's new address; keep its old one as an alias once readers reached it."""
    problem = site_pages.page_problem(page.kind, path, page)
    if problem:
        raise ValidationError({"path": problem})
    if page.live_revision_id is not None and page.path:
        Alias.objects.get_or_create(
            path=normalize_path(page.path), defaults={"post": page, "kind": Alias.Kind.OLD_ADDRESS}
        )
    # Back at an old address: its alias would answer there first, with a redirect to itself.
    Alias.objects.filter(post=page, path=normalize_path(path)).delete()


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value.get_username() if hasattr(value, "get_username") else str(value)


def may_change_links(user, post: Post) -> bool:
    """Whether the user may change the post's aliases and attachments: a moderator's move once
    readers reach the post."""
    return post.status not in REACHED or user.has_perm("posts.publish_post")


def links_refusal(post: Post) -> str:
    return (
        f"“{post}” is {describe_state(post)}: only moderators change the aliases and attachments"
        " of a post readers reach."
    )


def change_aliases(*, by, save: Iterable[Alias] = (), delete: Iterable[Alias] = ()) -> None:
    """Save and delete aliases as one change, logged on each post it concerns with what changed.
    An alias moved to another post concerns both posts."""
    save, delete = list(save), list(delete)
    if not save and not delete:
        return
    before = Alias.objects.select_related("post").in_bulk([alias.pk for alias in [*save, *delete] if alias.pk])
    changes: dict[int, list[str]] = defaultdict(list)
    for alias in save:
        alias.clean()
        old = before.get(alias.pk)
        if old is None:
            changes[alias.post_id].append(f"added {alias.path}")
        elif old.post_id != alias.post_id:
            changes[old.post_id].append(f"{old.path} moved to “{alias.post}”")
            changes[alias.post_id].append(f"{alias.path} moved here from “{old.post}”")
        elif (old.path, old.kind) != (alias.path, alias.kind):
            changes[alias.post_id].append(f"{old.path} ({old.kind}) changed to {alias.path} ({alias.kind})")
    for alias in delete:
        changes[alias.post_id].append(f"removed {before[alias.pk].path}")
    needed = {"posts.add_alias" for alias in save if alias.pk not in before}
    needed |= {"posts.change_alias" for alias in save if alias.pk in before}
    needed |= {"posts.delete_alias" for _ in delete[:1]}
    if not by.has_perms(needed):
        raise PermissionDenied("You may not change aliases.")
    with _changing_links(changes, by, Action.ALIASES):
        for alias in delete:
            alias.delete()
        for alias in save:
            alias.full_clean()
            alias.save()
        NotFound.objects.filter(path__in=[alias.path for alias in save]).delete()  # found now


def change_attachment(attachment: Attachment, *, by, posts: Iterable[Post] | None = None) -> Attachment:
    """Save the attachment's changes and, given `posts`, make them the posts showing it; logged
    on each post it concerns with what changed."""
    if not by.has_perm("posts.change_attachment"):
        raise PermissionDenied("You may not change attachments.")
    old = Attachment.objects.get(pk=attachment.pk)
    old_posts = set(old.posts.values_list("pk", flat=True))
    new_posts = old_posts if posts is None else {post.pk for post in posts}
    fields = [
        f"{name} {before or '—'} → {after or '—'}"
        for name, before, after in [
            ("URL", old.legacy_url, attachment.legacy_url),
            ("file", old.file.name, attachment.file.name),
            ("kind", old.kind, attachment.kind),
        ]
        if before != after
    ]
    changes = {}
    for pk in old_posts | new_posts:
        if pk not in old_posts:
            changes[pk] = [f"attachment {old} added"]
        elif pk not in new_posts:
            changes[pk] = [f"attachment {old} removed"]
        elif fields:
            changes[pk] = [f"attachment {old}: {', '.join(fields)}"]
    with _changing_links(changes, by, Action.ATTACHMENTS, shown_on=old_posts | new_posts):
        attachment.full_clean()
        attachment.save()
        if posts is not None:
            attachment.posts.set(new_posts)
    return attachment


def delete_attachments(attachments: Iterable[Attachment], *, by) -> None:
    """Delete attachments, logged on each post that showed one."""
    if not by.has_perm("posts.delete_attachment"):
        raise PermissionDenied("You may not delete attachments.")
    attachments = list(attachments)
    changes: dict[int, list[str]] = defaultdict(list)
    for attachment in attachments:
        for pk in attachment.posts.values_list("pk", flat=True):
            changes[pk].append(f"attachment {attachment} deleted")
    with _changing_links(changes, by, Action.ATTACHMENTS):
        for attachment in attachments:
            attachment.delete()


@contextmanager
def _changing_links(changes: dict[int, list[str]], by, action: str, *, shown_on: Iterable[int] = ()):
    """The frame of a change to posts' aliases or attachments: lock the posts it concerns, check
    the user may change each, and once changed log it on each and refresh them, and the posts
    in `shown_on` (those showing an attachment whose details changed)."""
    with transaction.atomic():
        posts = list(Post.objects.select_for_update(of=("self",)).filter(pk__in=changes).order_by("pk"))
        for post in posts:
            if not may_change_links(by, post):
                raise PermissionDenied(links_refusal(post))
        yield
        for post in posts:
            comment = "; ".join(changes[post.pk])
            audit.log(post, by, action, audit.logged_state(post), comment=comment[:1].upper() + comment[1:])
        post_ids = {*changes, *shown_on}
        refresh(post_ids, seen=Post.objects.filter(pk__in=post_ids, status__in=REACHED).exists())
