"""The moves between states: submit, approve, schedule, send back, publish, unpublish, delete,
undelete, and the scheduled revisions' going live (`publish_due`, on the task worker or cron)."""

import logging
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from .. import site_pages
from ..changes import refresh
from ..models import Post, Revision, TaggedPost, render_body
from . import audit, mail
from .content import Content, EditConflict, apply_content, check_slug, conflict_message, slug_holder
from .states import (
    MOVES,
    REACHED,
    Action,
    InvalidTransition,
    Status,
    describe_state,
    locked,
    may,
    starting_states,
    state_of,
)

logger = logging.getLogger(__name__)


def submit(post: Post, *, by, comment: str = "") -> Post:
    """Send the latest revision for review; the moderators are told by e-mail."""
    with _move(post, by, Action.SUBMIT, comment) as post:
        _set_state(post, Status.IN_REVIEW)
        post.submitted_at = timezone.now()
    mail.to_moderators(post, by, comment)
    return post


def approve(post: Post, *, by, revision: Revision | int | None = None, comment: str = "") -> Post:
    """Publish the revision in review now. `revision`: the one the moderator read, refused if the
    post has changed since."""
    with _move(post, by, Action.APPROVE, comment, reviewed=revision) as post:
        _go_live(post)
    mail.to_author(post, by, "approved and published", comment)
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
    mail.to_author(post, by, f"approved for publication on {timezone.localtime(at):%Y-%m-%d %H:%M}", comment)
    return post


def send_back(post: Post, *, by, comment: str) -> Post:
    """Return the revision in review (or scheduled) to its author as a draft, saying why."""
    if not comment.strip():
        raise ValidationError("Say what needs to change: sending back needs a comment.")
    with _move(post, by, Action.SEND_BACK, comment) as post:
        _back_to_draft(post)
    mail.to_author(post, by, "sent back to you", comment)
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
    """Bring a deleted post back as a draft; a site page only if nothing took its place meanwhile
    (an alias at its address, another introduction of the home page: site_pages.page_problem)."""
    with _move(post, by, Action.UNDELETE, comment) as post:
        problem = site_pages.page_problem(post.kind, post.path, post)
        if problem:
            raise ValidationError(problem)
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
            before, shown, listed, tag_ids = audit.logged_state(post), _seen_of(post), _listed(post), tag_ids_of(post)
            try:
                with transaction.atomic():
                    _go_live(post)
                    post.save()
                    audit.log(post, None, Action.PUBLISH_SCHEDULED, before, post.latest_revision)
                    _refresh_moved(post, shown, listed, tag_ids)
                published.append(post)
            except Exception as error:  # one post that cannot go live must not hold back the others
                logger.exception("“%s” could not be published at its scheduled time", post)
                post.refresh_from_db()
                _back_to_draft(post)
                post.save()
                reason = " ".join(error.messages) if isinstance(error, ValidationError) else "an error, logged"
                comment = f"It could not go live at its scheduled time: {reason}"
                audit.log(post, None, Action.SEND_BACK, before, post.latest_revision, comment)
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


def tag_ids_of(post: Post) -> set[int]:
    return set(TaggedPost.objects.filter(content_object=post).values_list("tag_id", flat=True))


# The parts


@contextmanager
def _move(post: Post, user, action: str, comment: str, reviewed: Revision | int | None = None):
    """The frame of a move: lock the post, check the user's right and the post's state; once the
    move has changed the post, save it, log the move and refresh what depends on the post."""
    with transaction.atomic():
        post = locked(post)
        if not may(user, action, post):
            raise PermissionDenied(f"You may not {_verb(action)} posts.")
        if not starting_states(post) & MOVES[action].sources:
            raise InvalidTransition(f"“{post}” is {describe_state(post)}: it cannot be {_past(action)}.")
        reviewed = reviewed.pk if isinstance(reviewed, Revision) else reviewed
        if reviewed is not None and reviewed != post.latest_revision_id:
            raise EditConflict(conflict_message(post, post.latest_revision), post.latest_revision)
        before, shown, listed, tag_ids = audit.logged_state(post), _seen_of(post), _listed(post), tag_ids_of(post)
        yield post
        post.save()
        audit.log(post, user, action, before, post.latest_revision, comment)
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
    tags_now = tag_ids_of(post)
    relisted = listed != _listed(post) or tag_ids != tags_now
    refresh([post.pk], seen=_seen_of(post) != shown, tag_ids=tag_ids | tags_now if relisted else ())


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
        if keep_slug_if_taken and slug_holder(content.slug, post):
            content = replace(content, slug=post.slug)
        check_slug(content.slug, post)
        apply_content(post, content, render_body(content.body))
    post.pending_status = ""
    post.publish_at = post.submitted_at = None


def _verb(action: str) -> str:
    return {Action.SEND_BACK: "send back", Action.SUBMIT: "submit"}.get(action, action)


def _past(action: str) -> str:
    return Action(action).label.lower()
