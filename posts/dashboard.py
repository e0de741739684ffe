"""What the admin's index shows each user of the work waiting for them: their drafts, what was
sent back to them, what waits for review, what is scheduled, what went live lately, the last
imports. Each list is short and costs one query, whatever the number of posts."""

from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse

from . import workflow
from .models import ImportRun, Post, PostAction

Action = PostAction.Action
SHOWN = 8  # rows in a list
# What a list of posts never shows, and which would make each row heavy to fetch.
LONG_FIELDS = ["body", "body_html", "body_text", "article", "legacy_metadata", "labels"]
PUBLISHING = [Action.APPROVE, Action.PUBLISH, Action.PUBLISH_SCHEDULED]


def sections(user) -> dict:
    """The dashboard's lists for `user`; those of a role they lack are None (not shown)."""
    drafts = _drafts_of(user)
    reviews = user.has_perm("posts.review_post")
    return {
        "my_drafts": list(drafts.exclude(last_move=Action.SEND_BACK).order_by("-updated")[:SHOWN]),
        "sent_back": list(drafts.filter(last_move=Action.SEND_BACK).order_by("-last_move_at")[:SHOWN]),
        "awaiting_review": _awaiting_review(user) if reviews else None,
        "waiting_count": Post.objects.in_review().count() if reviews else None,
        "scheduled": list(_brief(Post.objects.scheduled().visible_to(user)).order_by("publish_at", "pk")[:SHOWN]),
        "recently_published": _recently_published(user),
        "recent_imports": _recent_imports() if user.has_perm("posts.import_dump") else None,
    }


def _brief(posts):
    """Posts as a list shows them: without their long fields."""
    return posts.defer(*LONG_FIELDS)


def _drafts_of(user):
    """The user's own posts whose latest revision is a draft, with their last workflow move (a
    send-back's comment is what the author needs to read)."""
    moves = (
        PostAction.objects.filter(post=OuterRef("pk"))
        .exclude(action__in=[Action.CREATE, Action.EDIT, Action.RESTORE])
        .order_by("-created", "-pk")
    )
    return _brief(Post.objects.filter(author=user).in_state(Post.Status.DRAFT)).annotate(
        last_move=Coalesce(Subquery(moves.values("action")[:1]), Value("")),
        last_move_at=Subquery(moves.values("created")[:1]),
        last_move_by=Subquery(moves.values("user__username")[:1]),
        last_move_comment=Subquery(moves.values("comment")[:1]),
    )


def _awaiting_review(user) -> list[Post]:
    waiting = Post.objects.in_review().visible_to(user).select_related("author")
    return list(_brief(waiting).order_by("submitted_at", "pk")[:SHOWN])


def _recently_published(user) -> list[dict]:
    """The posts that went live last, each once: a link to its edit page for those who may edit
    it, else to its page (published, it is anyone's to read)."""
    actions = (
        PostAction.objects.filter(action__in=PUBLISHING, post__status=Post.Status.PUBLISHED)
        .select_related("post", "user")
        .only(
            "created",
            "action",
            "user__username",
            "post__title",
            "post__slug",
            "post__author",
            "post__status",
            "post__kind",
            "post__path",
        )
        .order_by("-created", "-pk")
    )
    shown, seen = [], set()
    for action in actions[: SHOWN * 3]:
        if action.post_id in seen:
            continue
        seen.add(action.post_id)
        post = action.post
        url = (
            reverse("admin:posts_post_change", args=[post.pk])
            if workflow.may_edit(user, post)
            else post.get_absolute_url()
        )
        shown.append({"post": post, "url": url, "when": action.created, "by": action.user})
    return shown[:SHOWN]


def _recent_imports() -> list[ImportRun]:
    # A run's report can be long (a line per file): only its summary is read.
    runs = list(ImportRun.objects.select_related("user").defer("report").annotate(summary=F("report__summary"))[:5])
    for run in runs:
        run.report = {"summary": run.summary or {}}
    return runs
