"""A post's states, the moves between them (one table), and who may make each move."""

from dataclasses import dataclass

from ..models import Post, PostAction, state_in_words

Status = Post.Status
Action = PostAction.Action


class InvalidTransition(Exception):
    """A move the post's state does not allow; the message says which state and which move."""


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

REACHED = frozenset({Status.PUBLISHED, Status.DELETED})  # a deleted post's URLs answer 410


def state_of(post: Post) -> str:
    """Where the post's latest revision stands."""
    return post.pending_status or post.status


def describe_state(post: Post) -> str:
    """The state as the admin says it: "published", "published, with changes in review"…"""
    return state_in_words(post.status, post.pending_status)


def starting_states(post: Post) -> set[str]:
    """The states a move may start from: a published post with changes waiting is in both."""
    return {post.status, post.pending_status} - {""}


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
    return may(user, action, post) and bool(starting_states(post) & MOVES[action].sources)


def available(user, post: Post) -> list[str]:
    return [action for action in MOVES if can(user, action, post)]


def locked(post: Post) -> Post:
    """The post as it stands in the database, its row locked until the transaction ends."""
    return Post.objects.select_for_update(of=("self",)).select_related("latest_revision").get(pk=post.pk)
