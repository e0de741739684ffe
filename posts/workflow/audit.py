"""The audit log: one PostAction per change to a post, saying who made which move from which state
to which, with the revision it concerns and, for an import, the run."""

from django.db import connection

from ..legacy.rows import insert_rows
from ..models import ImportRun, Post, PostAction, Revision

BULK_FIELDS = (
    "post",
    "post_title",
    "user",
    "action",
    "from_state",
    "from_pending",
    "to_state",
    "to_pending",
    "revision",
    "comment",
    "created",
    "import_run",
)


def logged_state(post: Post) -> tuple[str, str]:
    """What the audit log records of a post's state: its status and its waiting changes' state."""
    return post.status, post.pending_status


def log(
    post: Post,
    user,
    action: str,
    before: tuple[str, str],
    revision: Revision | None = None,
    comment: str = "",
    run: ImportRun | None = None,
) -> None:
    """Log the change made to `post`, which was in the state `before` (`logged_state`)."""
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


def log_created(posts: list[Post], comments: list[str], *, user, run: ImportRun, when) -> None:
    """Log the creation of new posts (with their latest revisions), as rows written in bulk."""
    created = connection.ops.adapt_datetimefield_value(when)
    user_id = user.pk if user else None
    rows = [
        (
            post.pk,
            post.title,
            user_id,
            str(PostAction.Action.CREATE),
            "",
            "",
            post.status,
            post.pending_status,
            post.latest_revision_id,
            comment,
            created,
            run.pk,
        )
        for post, comment in zip(posts, comments, strict=True)
    ]
    insert_rows(PostAction, BULK_FIELDS, rows, skip_existing=False)
