"""The editorial workflow (DESIGN.md, "Editorial workflow"): a post's states, the moves between
them, and who may make each.

A post's `status` is what readers get: they see it only while it is published. A published post's
newer revision waits, in `pending_status` (draft, in review or scheduled), until a moderator lets it
go live; meanwhile the post's content fields keep the live revision. A post's *state* is where its
latest revision stands: `pending_status` when there is one, else `status`.

Every function here checks the user's permission, then the post's state, in one transaction with
the post's row locked; writes a PostAction; refreshes what depends on the post (changes.py); and
sends its e-mail once committed. The admin, its bulk actions, the commands and the tests all move
posts through them.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from . import limits
from .aliases import normalize_path
from .changes import refresh
from .models import (
    Alias,
    Attachment,
    Category,
    ImportRun,
    Post,
    PostAction,
    Revision,
    TaggedPost,
    render_body,
    state_in_words,
)
from .rendering import Rendered

logger = logging.getLogger(__name__)
Status = Post.Status
Action = PostAction.Action


class InvalidTransition(Exception):
    """A move the post's state does not allow; the message says which state and which move."""


class EditConflict(Exception):
    """The post has a newer revision than the one the change was made from."""

    def __init__(self, message: str, latest: Revision):
        super().__init__(message)
        self.latest = latest


@dataclass(frozen=True)
class Content:
    """What a revision holds of a post: title, slug, Markdown body, category and tag names."""

    title: str
    slug: str
    body: str = ""
    categories: tuple[str, ...] = field(default=())
    tags: tuple[str, ...] = field(default=())

    def __post_init__(self):
        # Compared with a revision's content to tell a change from a save of the same text.
        object.__setattr__(self, "title", self.title.strip())
        object.__setattr__(self, "body", self.body.replace("\r\n", "\n"))
        object.__setattr__(self, "categories", tuple(sorted(set(self.categories))))
        tags: dict[str, str] = {}
        for tag in filter(None, (tag.strip() for tag in self.tags)):
            tags.setdefault(tag.casefold(), tag)
        object.__setattr__(self, "tags", tuple(sorted(tags.values(), key=str.casefold)))

    @classmethod
    def of(cls, revision: Revision) -> "Content":
        return cls(revision.title, revision.slug, revision.body, tuple(revision.categories), tuple(revision.tags))


@dataclass(frozen=True)
class Move:
    sources: frozenset[str]  # the states it starts from
    permission: str | None  # None: the right to edit the post


EVERY_STATE = frozenset(Status.values)
MOVES = {
    Action.SUBMIT: Move(frozenset({Status.DRAFT, Status.UNPUBLISHED}), None),
    Action.APPROVE: Move(frozenset({Status.IN_REVIEW}), "posts.review_post"),
    Action.SEND_BACK: Move(frozenset({Status.IN_REVIEW, Status.SCHEDULED}), "posts.review_post"),
    Action.SCHEDULE: Move(frozenset({Status.IN_REVIEW, Status.SCHEDULED}), "posts.publish_post"),
    Action.PUBLISH: Move(
        frozenset({Status.DRAFT, Status.IN_REVIEW, Status.SCHEDULED, Status.UNPUBLISHED}), "posts.publish_post"
    ),
    Action.UNPUBLISH: Move(frozenset({Status.PUBLISHED}), "posts.publish_post"),
    Action.DELETE: Move(EVERY_STATE - {Status.DELETED}, "posts.delete_post"),
    Action.UNDELETE: Move(frozenset({Status.DELETED}), "posts.delete_post"),
}


def state_of(post: Post) -> str:
    """Where the post's latest revision stands."""
    return post.pending_status or post.status


def describe_state(post: Post) -> str:
    """The state as the admin says it: "published", "published, with changes in review"…"""
    return state_in_words(post.status, post.pending_status)


def may_edit(user, post: Post) -> bool:
    return user.has_perm("posts.change_post") and (
        post.author_id == user.pk or user.has_perm("posts.change_others_post")
    )


def may_change(user, post: Post) -> bool:
    """Whether the user may edit the post as it stands (a deleted post must be undeleted first)."""
    return may_edit(user, post) and post.status != Status.DELETED


def may(user, action: str, post: Post) -> bool:
    """Whether the user's rights allow the move, whatever the post's state."""
    permission = MOVES[action].permission
    return may_edit(user, post) if permission is None else user.has_perm(permission)


def can(user, action: str, post: Post) -> bool:
    """Whether the move is open to the user on the post as it stands (for the admin's buttons)."""
    return may(user, action, post) and bool(_states(post) & MOVES[action].sources)


def available(user, post: Post) -> list[str]:
    return [action for action in MOVES if can(user, action, post)]


# Content


def create(*, by, content: Content, message: str = "", post: Post | None = None) -> Post:
    """A new draft with its first revision, written by `by` unless `post` names another author.
    `post`: an unsaved Post holding the fields besides the content (date, author, legacy id), as
    the admin's form builds it."""
    if not by.has_perm("posts.add_post"):
        raise PermissionDenied("You may not write posts.")
    post = post or Post()
    if post.author_id is None or not by.has_perm("posts.change_others_post"):
        post.author = by
    post.status = Status.DRAFT
    limits.check(content.body, content.tags)
    with transaction.atomic():
        _check_slug(content.slug, None)
        rendered = render_body(content.body)
        _apply(post, content, rendered)
        revision = _new_revision(post, content, rendered, by=by, source=Revision.Source.EDITOR, message=message)
        post.latest_revision = revision
        post.save(update_fields=["latest_revision"])
        _log(post, by, Action.CREATE, ("", ""), revision=revision, comment=message)
        refresh([post.pk], seen=False)
    return post


def edit(
    post: Post,
    *,
    by,
    content: Content,
    based_on: Revision | int | None,
    message: str = "",
    source: str = Revision.Source.EDITOR,
) -> Revision:
    """Save `content` as the post's new latest revision, made from the revision `based_on`.

    A published post keeps serving its live revision; the new one waits as a draft (or stays in
    review). A change to a scheduled post takes it off the schedule: what a moderator approved is
    no longer what would go live. Saving the latest content again makes no revision.
    """
    with transaction.atomic():
        post = _locked(post)
        if not may_edit(by, post):
            raise PermissionDenied("You may not edit this post.")
        if post.status == Status.DELETED:
            raise InvalidTransition(f"“{post}” is deleted: undelete it before editing.")
        limits.check(content.body, content.tags)
        based_on_id = based_on.pk if isinstance(based_on, Revision) else based_on
        latest = post.latest_revision
        if latest is not None and based_on_id != latest.pk:
            raise EditConflict(conflict_message(post, latest), latest)
        if latest is not None and Content.of(latest) == content and source == Revision.Source.EDITOR:
            return latest
        _check_slug(content.slug, post)
        before = _where(post)
        rendered = render_body(content.body)
        revision = _new_revision(post, content, rendered, by=by, source=source, message=message)
        post.latest_revision = revision
        if post.status == Status.PUBLISHED:
            if post.pending_status != Status.IN_REVIEW:
                post.pending_status = Status.DRAFT
        else:
            _apply(post, content, rendered)
            if post.status == Status.SCHEDULED:
                post.status = Status.DRAFT
        if state_of(post) != Status.SCHEDULED:
            post.publish_at = None
        post.save()
        action = Action.RESTORE if source == Revision.Source.RESTORE else Action.EDIT
        _log(post, by, action, before, revision=revision, comment=message)
        refresh([post.pk], seen=False)  # readers see a post's new revision once it is approved
    return revision


def restore(revision: Revision, *, by, based_on: Revision | int | None) -> Revision:
    """Make an old revision's content the post's latest again, as a new revision."""
    when = timezone.localtime(revision.created).strftime("%Y-%m-%d %H:%M")
    return edit(
        revision.post,
        by=by,
        content=Content.of(revision),
        based_on=based_on,
        message=f"Restored the revision of {when}",
        source=Revision.Source.RESTORE,
    )


# Moves


def submit(post: Post, *, by, comment: str = "") -> Post:
    """Send the latest revision for review; the moderators are told by e-mail."""
    with _move(post, by, Action.SUBMIT, comment) as post:
        _set_state(post, Status.IN_REVIEW)
        post.submitted_at = timezone.now()
    _mail_moderators(post, by, comment)
    return post


def approve(post: Post, *, by, revision: Revision | int | None = None, comment: str = "") -> Post:
    """Publish the revision in review now. `revision`: the one the moderator read, refused if the
    post has changed since."""
    with _move(post, by, Action.APPROVE, comment, reviewed=revision) as post:
        _go_live(post)
    _mail_author(post, by, "approved and published", comment)
    return post


def schedule(post: Post, *, by, at: datetime, revision: Revision | int | None = None, comment: str = "") -> Post:
    """Approve the revision in review for publication at `at`, a time to come."""
    if timezone.is_naive(at):
        raise ValidationError("The time to publish at needs a time zone.")
    if at <= timezone.now():
        raise ValidationError(f"{timezone.localtime(at):%Y-%m-%d %H:%M} has passed: schedule a time to come.")
    with _move(post, by, Action.SCHEDULE, comment, reviewed=revision) as post:
        _set_state(post, Status.SCHEDULED)
        post.publish_at = at
        # In the same transaction: the schedule and the worker's task to honour it are kept together.
        publish_due_revisions.using(run_after=at).enqueue()
    _mail_author(post, by, f"approved for publication on {timezone.localtime(at):%Y-%m-%d %H:%M}", comment)
    return post


def send_back(post: Post, *, by, comment: str) -> Post:
    """Return the revision in review (or scheduled) to its author as a draft, saying why."""
    if not comment.strip():
        raise ValidationError("Say what needs to change: sending back needs a comment.")
    with _move(post, by, Action.SEND_BACK, comment) as post:
        _back_to_draft(post)
    _mail_author(post, by, "sent back to you", comment)
    return post


def publish(post: Post, *, by, revision: Revision | int | None = None, comment: str = "") -> Post:
    """Publish the latest revision now, whatever state it is in."""
    with _move(post, by, Action.PUBLISH, comment, reviewed=revision) as post:
        _go_live(post)
    return post


def unpublish(post: Post, *, by, comment: str = "") -> Post:
    """Take the post off the site (its URLs answer 404); its latest revision becomes its content."""
    with _move(post, by, Action.UNPUBLISH, comment) as post:
        _take_latest(post, keep_slug_if_taken=True)
        post.status = Status.UNPUBLISHED
    return post


def delete(post: Post, *, by, comment: str = "") -> Post:
    """Delete the post: its URLs answer 410. Its revisions are kept; `undelete` brings it back."""
    with _move(post, by, Action.DELETE, comment) as post:
        _take_latest(post, keep_slug_if_taken=True)
        post.status = Status.DELETED
    return post


def undelete(post: Post, *, by, comment: str = "") -> Post:
    """Bring a deleted post back as a draft."""
    with _move(post, by, Action.UNDELETE, comment) as post:
        post.status = Status.DRAFT
    return post


def publish_due(now: datetime | None = None) -> list[Post]:
    """Publish every scheduled revision whose time has come; for `manage.py publish_scheduled` (cron)
    and the task worker (`publish_due_revisions`). One that cannot go live (its slug was taken
    meanwhile) goes back to draft, with the reason as the comment."""
    now = now or timezone.now()
    published = []
    for pk in Post.objects.scheduled().filter(publish_at__lte=now).values_list("pk", flat=True):
        with transaction.atomic():
            post = (
                Post.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("latest_revision")
                .filter(pk=pk)
                .first()
            )
            if post is None or state_of(post) != Status.SCHEDULED or post.publish_at > now:
                continue  # another process took it, or it changed meanwhile
            before, shown, listed, tag_ids = _where(post), _seen_of(post), _listed(post), _tag_ids(post)
            try:
                with transaction.atomic():
                    _go_live(post)
                    post.save()
                    _log(post, None, Action.PUBLISH_SCHEDULED, before, post.latest_revision)
                    _refresh_moved(post, shown, listed, tag_ids)
                published.append(post)
            except Exception as error:  # one post that cannot go live must not hold back the others
                logger.exception("“%s” could not be published at its scheduled time", post)
                post.refresh_from_db()
                _back_to_draft(post)
                post.save()
                reason = " ".join(error.messages) if isinstance(error, ValidationError) else "an error, logged"
                comment = f"It could not go live at its scheduled time: {reason}"
                _log(post, None, Action.SEND_BACK, before, post.latest_revision, comment)
    return published


@task()
def publish_due_revisions() -> list[str]:
    """`publish_due` on the task worker (`manage.py db_worker`): `schedule` queues it to run at the
    time it sets. Whatever is due then goes live, so a task left over from a schedule changed since
    (sent back, scheduled again, published by cron) does nothing."""
    return [post.slug for post in publish_due()]


def next_due() -> datetime | None:
    """When the next scheduled revision goes live."""
    return Post.objects.scheduled().order_by("publish_at").values_list("publish_at", flat=True).first()


# The legacy import


def reimport(
    post: Post,
    *,
    content: Content,
    rendered: Rendered,
    categories: Iterable[Category],
    tags: Iterable,
    details: dict,
    draft: bool,
    by,
    run: ImportRun,
    comment: str,
) -> Revision:
    """Write a file of the legacy dump over its post: the dump says what the post is, whatever its
    state in the CMS (the importer leaves alone, unless forced, posts changed there since). A post
    deleted in the CMS comes back (logged as undeleted); waiting changes, review and schedule are
    dropped; the post is published unless the file is a draft. `categories`, `tags`: as the
    importer found or made them for the names in `content`; `details`: the post's own fields."""
    if by is not None and not by.has_perm("posts.import_dump"):
        raise PermissionDenied("You may not import the legacy dump.")
    with transaction.atomic():
        post = _locked(post)
        before = _where(post)
        revision = _new_revision(post, content, rendered, by=by, source=Revision.Source.IMPORT, message=comment)
        for name, value in details.items():
            setattr(post, name, value)
        post.pending_status, post.publish_at, post.submitted_at = "", None, None
        if post.status in (Status.DELETED, Status.IN_REVIEW, Status.SCHEDULED):
            post.status = Status.PUBLISHED
        if draft and post.status == Status.PUBLISHED:
            post.status = Status.DRAFT
        post.latest_revision = revision
        post.live_revision = revision if post.is_published else None
        _apply(post, content, rendered, categories=list(categories), tags=list(tags))
        action = Action.UNDELETE if before[0] == Status.DELETED else Action.EDIT
        _log(post, by, action, before, revision, comment, run=run)
        # What readers see of it the importer refreshes once for the run, with every post it wrote.
        refresh([post.pk], seen=False)
    return revision


# Aliases and attachments: what readers reach of a post besides its content

REACHED = frozenset({Status.PUBLISHED, Status.DELETED})  # a deleted post's URLs answer 410


DETAILS = ("author", "date", "lastmod", "tiki_page_id")


def may_set_details(user, post: Post | None) -> set[str]:
    """The post's own fields (no revision holds them) the user may set: its dates and legacy id
    order the home page and feeds, so those who publish; its author, those who edit others' posts,
    and once readers see it (feeds, the page's data), those who publish."""
    publishes = user.has_perm("posts.publish_post")
    allowed = {"date", "lastmod", "tiki_page_id"} if publishes else set()
    if user.has_perm("posts.change_others_post") and (publishes or post is None or post.status not in REACHED):
        allowed.add("author")
    return allowed


def change_details(post: Post, *, by, values: dict) -> Post:
    """Set the post's own fields in `values` (names from DETAILS), logged with what changed."""
    with transaction.atomic():
        post = _locked(post)
        changed = {name: value for name, value in values.items() if getattr(post, name) != value}
        refused = set(changed) - may_set_details(by, post)
        if refused:
            raise PermissionDenied(f"You may not set a post's {', '.join(sorted(refused))}.")
        if not changed:
            return post
        lines = [
            f"{Post._meta.get_field(name).verbose_name}: {_shown(getattr(post, name))} → {_shown(value)}"
            for name, value in changed.items()
        ]
        for name, value in changed.items():
            setattr(post, name, value)
        post.save(update_fields=[*changed, "updated"])
        _log(post, by, Action.EDIT, _where(post), post.latest_revision, "Changed " + "; ".join(lines))
        refresh([post.pk], seen=post.status in REACHED, tag_ids=_tag_ids(post) if post.is_published else ())
    return post


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
            _log(post, by, action, _where(post), comment=comment[:1].upper() + comment[1:])
        post_ids = {*changes, *shown_on}
        refresh(post_ids, seen=Post.objects.filter(pk__in=post_ids, status__in=REACHED).exists())


# The parts


@contextmanager
def _move(post: Post, user, action: str, comment: str, reviewed: Revision | int | None = None):
    """The frame of a move: lock the post, check the user's right and the post's state; once the
    move has changed the post, save it and log the move."""
    with transaction.atomic():
        post = _locked(post)
        if not may(user, action, post):
            raise PermissionDenied(f"You may not {_verb(action)} posts.")
        if not _states(post) & MOVES[action].sources:
            raise InvalidTransition(f"“{post}” is {describe_state(post)}: it cannot be {_past(action)}.")
        reviewed = reviewed.pk if isinstance(reviewed, Revision) else reviewed
        if reviewed is not None and reviewed != post.latest_revision_id:
            raise EditConflict(conflict_message(post, post.latest_revision), post.latest_revision)
        before, shown, listed, tag_ids = _where(post), _seen_of(post), _listed(post), _tag_ids(post)
        yield post
        post.save()
        _log(post, user, action, before, post.latest_revision, comment)
        _refresh_moved(post, shown, listed, tag_ids)


def _seen_of(post: Post) -> tuple:
    """What readers get of the post: its page (or its 410) and, published, its live revision."""
    if post.status not in REACHED:
        return ()
    return post.status, post.live_revision_id if post.is_published else None


def _listed(post: Post) -> tuple:
    """What the digests of its tags hold of the post (related.py)."""
    return post.is_published, post.title, post.slug, post.date


def _refresh_moved(post: Post, shown: tuple, listed: tuple, tag_ids: set[int]) -> None:
    """Refresh what depends on a post moved from what readers got (`shown`), what its tags'
    digests held (`listed`) and the tags it had."""
    tags_now = _tag_ids(post)
    relisted = listed != _listed(post) or tag_ids != tags_now
    refresh([post.pk], seen=_seen_of(post) != shown, tag_ids=tag_ids | tags_now if relisted else ())


def _tag_ids(post: Post) -> set[int]:
    return set(TaggedPost.objects.filter(content_object=post).values_list("tag_id", flat=True))


def _states(post: Post) -> set[str]:
    """The states a move may start from: a published post with changes waiting is in both."""
    return {post.status, post.pending_status} - {""}


def _locked(post: Post) -> Post:
    return Post.objects.select_for_update(of=("self",)).select_related("latest_revision").get(pk=post.pk)


def _set_state(post: Post, state: str) -> None:
    if post.status == Status.PUBLISHED:
        post.pending_status = state
    else:
        post.status = state


def _back_to_draft(post: Post) -> None:
    """Off review and schedule, back with its author."""
    _set_state(post, Status.DRAFT)
    post.publish_at = post.submitted_at = None


def _go_live(post: Post) -> None:
    """Make the latest revision what readers see."""
    updated = post.status == Status.PUBLISHED
    _take_latest(post)
    post.status = Status.PUBLISHED
    post.live_revision = post.latest_revision
    if updated:
        post.lastmod = timezone.now()


def _take_latest(post: Post, *, keep_slug_if_taken: bool = False) -> None:
    """Give the post's content fields its latest revision, if they hold the live one, and take it
    off review and schedule. A takedown (unpublish, delete) must not fail on a slug another post
    took meanwhile: it keeps the post's slug then."""
    if post.pending_status and post.latest_revision is not None:
        content = Content.of(post.latest_revision)
        if keep_slug_if_taken and _slug_holder(content.slug, post):
            content = replace(content, slug=post.slug)
        _check_slug(content.slug, post)
        _apply(post, content, render_body(content.body))
    post.pending_status = ""
    post.publish_at = post.submitted_at = None


def _apply(post: Post, content: Content, rendered: Rendered, *, categories=None, tags=None) -> None:
    """Make `content` the post's own (saving it), its categories and tags those named in it unless
    given. A new slug leaves the old URL behind as an alias, so old links keep working; one
    another post already claims stays with that post."""
    old_slug = post.slug if post.pk else ""
    post.title, post.slug, post.body = content.title, content.slug, content.body
    post.set_rendered(rendered)
    if categories is None:
        categories, tags = Category.objects.filter(name__in=content.categories), list(content.tags)
        post.labels = Post.labels_for(content.categories, content.tags)
    else:
        post.labels = Post.labels_for([category.name for category in categories], [tag.name for tag in tags])
    post.save()
    if old_slug and old_slug != post.slug:
        Alias.objects.get_or_create(
            path=normalize_path(reverse("posts:detail", kwargs={"slug": old_slug})),
            defaults={"post": post, "kind": Alias.Kind.OLD_SLUG},
        )
    post.categories.set(categories)
    post.tags.set(tags)
    shown = Attachment.objects.uploads_shown_in(content.body)
    post.attachments.remove(*post.attachments.filter(legacy_url=None).exclude(pk__in=shown))
    post.attachments.add(*shown)


def new_revision(post: Post, content: Content, html: str, *, by, source: str, message: str, created=None) -> Revision:
    """The one maker of revisions: `content` as a revision of `post`, unsaved (the importer
    writes its new posts' revisions in bulk)."""
    return Revision(
        post=post,
        title=content.title,
        slug=content.slug,
        body=content.body,
        body_html=html,
        categories=list(content.categories),
        tags=list(content.tags),
        author=by,
        created=created or timezone.now(),
        source=source,
        message=message[:500],
    )


def _new_revision(post: Post, content: Content, rendered: Rendered, *, by, source: str, message: str) -> Revision:
    revision = new_revision(post, content, rendered.html, by=by, source=source, message=message)
    revision.save()
    return revision


def _check_slug(slug: str, post: Post | None) -> None:
    holder = _slug_holder(slug, post)
    if holder is not None:
        raise ValidationError(f"The slug “{slug}” is taken by the post “{holder.title}”.")


def _slug_holder(slug: str, post: Post | None) -> Post | None:
    return Post.objects.filter(slug=slug).exclude(pk=post.pk if post else None).only("title").first()


def conflict_message(post: Post, latest: Revision) -> str:
    who = latest.author.get_username() if latest.author else "the import"
    when = timezone.localtime(latest.created).strftime("%Y-%m-%d %H:%M")
    return f"“{post}” was changed by {who} at {when}, after you opened it. Your text was not saved."


def _where(post: Post) -> tuple[str, str]:
    """What the audit log records of a post's state: its status and its waiting changes' state."""
    return post.status, post.pending_status


def _log(
    post: Post,
    user,
    action: str,
    before: tuple[str, str],
    revision: Revision | None = None,
    comment: str = "",
    run: ImportRun | None = None,
) -> None:
    PostAction.objects.create(
        import_run=run,
        post=post,
        post_title=post.title,
        user=user,
        action=action,
        from_state=before[0],
        from_pending=before[1],
        to_state=post.status,
        to_pending=post.pending_status,
        revision=revision,
        comment=comment,
    )


def _verb(action: str) -> str:
    return {Action.SEND_BACK: "send back", Action.SUBMIT: "submit"}.get(action, action)


def _past(action: str) -> str:
    return Action(action).label.lower()


# E-mail, sent once the move is committed


def _mail_moderators(post: Post, by, comment: str) -> None:
    who = by.get_username()
    subject = f"In review: {post.title}"
    text = f"{who} submitted “{post.title}” for review.\n\n{_comment_lines(comment)}Review it: {_admin_url(post)}\n"
    recipients = _reviewers().exclude(pk=by.pk).values_list("email", flat=True)
    transaction.on_commit(lambda: _send([(subject, text, None, [email]) for email in recipients]))


def _mail_author(post: Post, by, what: str, comment: str) -> None:
    author = post.author
    if author is None or not author.email or author.pk == by.pk:
        return
    subject = f"“{post.title}” was {what}"
    text = f"{by.get_username()}: “{post.title}” was {what}.\n\n{_comment_lines(comment)}The post: {_admin_url(post)}\n"
    transaction.on_commit(lambda: _send([(subject, text, None, [author.email])]))


def _send(messages: list[tuple]) -> None:
    """Send, never failing the move that is already committed: a mail server that is down is logged."""
    try:
        send_mass_mail(messages)
    except Exception:
        logger.exception("The workflow's e-mail could not be sent")


def _reviewers():
    permission = Permission.objects.get(codename="review_post", content_type__app_label="posts")
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(email="")
        .filter(Q(is_superuser=True) | Q(user_permissions=permission) | Q(groups__permissions=permission))
        .distinct()
    )


def _comment_lines(comment: str) -> str:
    return f"Comment:\n{comment.strip()}\n\n" if comment.strip() else ""


def _admin_url(post: Post) -> str:
    return settings.VDWIKI_SITE_URL.rstrip("/") + reverse("admin:posts_post_change", args=[post.pk])
