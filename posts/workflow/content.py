"""A post's content and its revisions: `Content`, the verbs that write a new revision (`create`,
`edit`, `restore`), and `new_revision`, the one maker of revisions."""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from .. import diff, limits, site_pages
from ..aliases import normalize_path
from ..changes import refresh
from ..models import Alias, Attachment, Category, Post, Revision, render_body
from ..plaintext import without_control_characters
from ..rendering import Rendered
from . import audit
from .states import Action, InvalidTransition, Status, locked, may_edit, state_of


class EditConflict(Exception):
    """The post has a newer revision than the one the change was made from."""

    def __init__(self, message: str, latest: Revision):
        super().__init__(message)
        self.latest = latest


@dataclass(frozen=True)
class Content:
    """What a revision holds of a post: title, slug, Markdown body, category and tag names, and
    the summary its editor wrote (plain text, on one line)."""

    title: str
    slug: str
    body: str = ""
    categories: tuple[str, ...] = field(default=())
    tags: tuple[str, ...] = field(default=())
    summary: str = ""

    def __post_init__(self):
        # Compared with a revision's content to tell a change from a save of the same text.
        object.__setattr__(self, "title", without_control_characters(self.title).strip())
        object.__setattr__(self, "body", self.body.replace("\r\n", "\n"))
        object.__setattr__(self, "summary", " ".join(without_control_characters(self.summary).split()))
        object.__setattr__(self, "categories", tuple(sorted(set(self.categories))))
        tags: dict[str, str] = {}
        for tag in filter(None, (without_control_characters(tag).strip() for tag in self.tags)):
            tags.setdefault(tag.casefold(), tag)
        object.__setattr__(self, "tags", tuple(sorted(tags.values(), key=str.casefold)))

    @classmethod
    def of(cls, revision: Revision) -> "Content":
        return cls(
            revision.title,
            revision.slug,
            revision.body,
            tuple(revision.categories),
            tuple(revision.tags),
            revision.summary,
        )


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
    check_content(content, post)
    with transaction.atomic():
        problem = site_pages.page_problem(post.kind, post.path)
        if problem:
            raise ValidationError(problem)
        check_slug(content.slug, None)
        rendered = render_body(content.body)
        apply_content(post, content, rendered)
        revision = save_new_revision(post, content, rendered, by=by, source=Revision.Source.EDITOR, message=message)
        post.latest_revision = revision
        post.save(update_fields=["latest_revision"])
        audit.log(post, by, Action.CREATE, ("", ""), revision=revision, comment=message)
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
        post = locked(post)
        if not may_edit(by, post):
            raise PermissionDenied("You may not edit this post.")
        if post.status == Status.DELETED:
            raise InvalidTransition(f"“{post}” is deleted: undelete it before editing.")
        check_content(content, post)
        based_on_id = based_on.pk if isinstance(based_on, Revision) else based_on
        latest = post.latest_revision
        if latest is not None and based_on_id != latest.pk:
            raise EditConflict(conflict_message(post, latest), latest)
        if latest is not None and Content.of(latest) == content and source == Revision.Source.EDITOR:
            return latest
        check_slug(content.slug, post)
        before = audit.logged_state(post)
        rendered = render_body(content.body)
        revision = save_new_revision(post, content, rendered, by=by, source=source, message=message)
        post.latest_revision = revision
        if post.status == Status.PUBLISHED:
            if post.pending_status != Status.IN_REVIEW:
                post.pending_status = Status.DRAFT
        else:
            apply_content(post, content, rendered)
            if post.status == Status.SCHEDULED:
                post.status = Status.DRAFT
        if state_of(post) != Status.SCHEDULED:
            post.publish_at = None
        post.save()
        action = Action.RESTORE if source == Revision.Source.RESTORE else Action.EDIT
        audit.log(post, by, action, before, revision=revision, comment=message)
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


def new_revision(post: Post, content: Content, html: str, *, by, source: str, message: str, created=None) -> Revision:
    """The one maker of revisions: `content` as a revision of `post`, unsaved (the import writes
    its new posts' revisions in bulk), with the size of its change against the live one."""
    words_added, words_removed = diff.words_changed(_live_body(post), content.body)
    return Revision(
        post=post,
        title=content.title,
        slug=content.slug,
        body=content.body,
        body_html=html,
        summary=content.summary,
        categories=list(content.categories),
        tags=list(content.tags),
        author=by,
        created=created or timezone.now(),
        source=source,
        message=message[:500],
        words_added=words_added,
        words_removed=words_removed,
    )


def _live_body(post: Post) -> str | None:
    """The body readers see (or last saw) of the post; None for a post never published."""
    if post.live_revision_id is None:
        return None
    if post.status == Status.PUBLISHED:
        return post.body  # a published post's own fields hold its live revision
    return Revision.objects.filter(pk=post.live_revision_id).values_list("body", flat=True).first()


def save_new_revision(post: Post, content: Content, rendered: Rendered, *, by, source: str, message: str) -> Revision:
    revision = new_revision(post, content, rendered.html, by=by, source=source, message=message)
    revision.save()
    return revision


def apply_content(post: Post, content: Content, rendered: Rendered, *, categories=None, tags=None) -> None:
    """Make `content` the post's own (saving it), its categories and tags those named in it unless
    given (a merged category's name naming the category it was merged into). A new slug leaves
    the old URL behind as an alias, so old links keep working; one another post already claims
    stays with that post."""
    old_slug = post.slug if post.pk else ""
    post.title, post.slug, post.body = content.title, content.slug, content.body
    post.written_summary = content.summary
    post.set_rendered(rendered)
    if categories is None:
        categories, tags = list(Category.objects.named(content.categories)), list(content.tags)
        post.labels = Post.labels_for(categories, content.tags)
    else:
        post.labels = Post.labels_for(categories, [tag.name for tag in tags])
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


def check_content(content: Content, post: Post) -> None:
    """Refuse content over the limits (limits.py), with a summary longer than a post holds, or
    filed under categories or tags on a site page (no list shows it: site_pages.py)."""
    limits.check(content.body, content.tags)
    if post.is_site_page and (content.categories or content.tags):
        raise ValidationError("A site page has no categories or tags: no list shows it.")
    length = Post._meta.get_field("written_summary").max_length
    if len(content.summary) > length:
        raise ValidationError(
            f"The summary is {len(content.summary):,} characters long; it may hold {length}.", code="limit"
        )


def check_slug(slug: str, post: Post | None) -> None:
    """Refuse a slug another post than `post` holds."""
    holder = slug_holder(slug, post)
    if holder is not None:
        raise ValidationError(f"The slug “{slug}” is taken by the post “{holder.title}”.")


def slug_holder(slug: str, post: Post | None) -> Post | None:
    return Post.objects.filter(slug=slug).exclude(pk=post.pk if post else None).only("title").first()


def conflict_message(post: Post, latest: Revision) -> str:
    who = latest.author.get_username() if latest.author else "the import"
    when = timezone.localtime(latest.created).strftime("%Y-%m-%d %H:%M")
    return f"“{post}” was changed by {who} at {when}, after you opened it. Your text was not saved."
