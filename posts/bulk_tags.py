"""Adding and removing tags on many posts at once, from the post list (admin.py's bulk tags action).

Tags are content: each post's change is a new revision made by `workflow.edit`, with the user's
rights checked post by post. What that means for a post, by its state:

- draft, unpublished, in review: the new revision is its content, in the same state;
- published with no waiting changes: the new revision waits as a draft of changes; a user who
  may publish (Moderator, Admin) has it published at once, as their own edit of the tags, while
  others leave it waiting for review like any edit of theirs;
- published with changes waiting: the tags are changed in the waiting revision, which stays
  waiting (publishing it would put someone's unreviewed text live);
- scheduled: refused, since a change takes a post off its schedule (workflow.edit), so a
  moderator's approval would silently lapse;
- deleted: refused by the workflow (undelete first).

Each post is changed in a transaction of its own, its row locked, from its latest revision as it
stands then: two runs over the same posts (a confirmation posted twice) leave each post changed
once, the second finding the tags already there.

More than MAX_POSTS posts are changed in the background, by the task worker (tasks.change_tags).
"""

from dataclasses import dataclass, field, replace

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from . import workflow
from .models import Post

# One request changes them all, each post a revision rendered anew (and, live, published): about
# 130 ms a post measured on the corpus, so 150 stay within gunicorn's 30 s timeout.
MAX_POSTS = 150
CHANGED_LISTED = 100  # the changed posts an outcome names
REFUSALS = (PermissionDenied, workflow.InvalidTransition, workflow.EditConflict, ValidationError)


@dataclass
class Outcome:
    changed: list[Post] = field(default_factory=list)
    published: list[Post] = field(default_factory=list)  # among `changed`: live at once
    waiting: list[Post] = field(default_factory=list)  # among `changed`: a change to a live post, waiting
    unchanged: list[Post] = field(default_factory=list)  # had the tags asked for already
    refused: list[tuple[Post, str]] = field(default_factory=list)

    def summary(self) -> dict:
        """The outcome as JSON holds it (a background run's result, bulk_tags_outcome.html's data):
        how many posts each way, the refused ones with their reasons, the first changed ones."""
        return {
            "changed": len(self.changed),
            "published": len(self.published),
            "waiting": len(self.waiting),
            "unchanged": len(self.unchanged),
            "refused": [{"id": post.pk, "title": post.title, "reason": reason} for post, reason in self.refused],
            "changed_first": [{"id": post.pk, "title": post.title} for post in self.changed[:CHANGED_LISTED]],
        }


def retagged(content: workflow.Content, *, add: list[str], remove: list[str]) -> workflow.Content:
    """`content` with the tags in `add` and without those in `remove`, compared case-insensitively."""
    removed = {name.casefold() for name in remove}
    kept = [tag for tag in content.tags if tag.casefold() not in removed]
    return replace(content, tags=(*kept, *add))  # Content drops the second spelling of a tag


def tags_after(tags, *, add: list[str], remove: list[str]) -> tuple[str, ...]:
    """A revision's tags once changed, in the order a revision keeps them."""
    before = workflow.Content("", "", tags=tuple(tags))
    return retagged(before, add=add, remove=remove).tags


def change_tags(posts, *, by, add: list[str], remove: list[str], message: str = "") -> Outcome:
    """Add and remove tags on each post through the workflow; a refusal on one post leaves the
    others changed."""
    outcome = Outcome()
    message = message or _message(add, remove)
    for post in posts:
        try:
            _change_one(post, by, add, remove, message, outcome)
        except REFUSALS as error:
            outcome.refused.append((post, _reason(error)))
    return outcome


@transaction.atomic
def _change_one(post: Post, by, add, remove, message, outcome: Outcome) -> None:
    post = Post.objects.select_for_update(of=("self",)).select_related("latest_revision").get(pk=post.pk)
    if workflow.state_of(post) == Post.Status.SCHEDULED:
        raise workflow.InvalidTransition("scheduled: changing it would take it off its schedule")
    latest = post.latest_revision
    if latest is None:
        raise workflow.InvalidTransition("it has no revision to change")
    content = workflow.Content.of(latest)
    new_content = retagged(content, add=add, remove=remove)
    if new_content == content:
        outcome.unchanged.append(post)
        return
    was_live_alone = post.is_published and not post.pending_status
    revision = workflow.edit(post, by=by, content=new_content, based_on=latest, message=message)
    outcome.changed.append(post)
    if post.is_published and was_live_alone and workflow.may(by, workflow.Action.PUBLISH, post):
        workflow.publish(post, by=by, revision=revision, comment=message)
        outcome.published.append(post)
    elif post.is_published:
        outcome.waiting.append(post)


def _message(add: list[str], remove: list[str]) -> str:
    parts = []
    if add:
        parts.append("added tags " + ", ".join(add))
    if remove:
        parts.append("removed tags " + ", ".join(remove))
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "you may not change it"
