"""The workflow's e-mail to moderators and authors, sent once the move is committed."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from ..models import Post

logger = logging.getLogger(__name__)


def to_moderators(post: Post, by, comment: str) -> None:
    """Tell those who review posts (but `by`) that `by` submitted the post: the author's message
    (their comment on submitting, else the revision's message) and a link to the comparison,
    where the moderator reviews it."""
    who = by.get_username()
    message = comment.strip() or (post.latest_revision.message if post.latest_revision else "")
    subject = f"In review: {post.title}"
    text = (
        f"{who} submitted “{post.title}” for review.\n\n{_comment_lines(message, 'Their message')}"
        f"Review the change: {_admin_url(post, 'admin:posts_post_compare')}\n"
    )
    recipients = _reviewers().exclude(pk=by.pk).values_list("email", flat=True)
    transaction.on_commit(lambda: _send([(subject, text, None, [email]) for email in recipients]))


def to_author(post: Post, by, what: str, comment: str) -> None:
    """Tell the post's author (unless it is `by`) what `by` did to it."""
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


def _comment_lines(comment: str, label: str = "Comment") -> str:
    return f"{label}:\n{comment.strip()}\n\n" if comment.strip() else ""


def _admin_url(post: Post, name: str = "admin:posts_post_change") -> str:
    return settings.VDWIKI_SITE_URL.rstrip("/") + reverse(name, args=[post.pk])
