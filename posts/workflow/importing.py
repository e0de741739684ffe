"""The legacy import's verbs: its new posts (`import_new`) and a changed file over its post
(`reimport`), each logged naming the run; the files' legacy addresses (`add_legacy_aliases`); an
unchanged post's attachments stored only now (`show_stored_attachments`). Each is refused to a
user without the right to import."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from ..article import article_of
from ..changes import refresh
from ..legacy.rows import insert_instances, insert_rows
from ..links import store_links
from ..models import Alias, Attachment, Category, ImportRun, NotFound, Post, Revision, TaggedPost
from ..rendering import Rendered
from . import audit
from .content import Content, apply_content, new_revision, save_new_revision
from .states import Action, Status, locked


@dataclass(frozen=True)
class ImportedPost:
    """A file of the legacy dump that is new to the CMS, as the importer read and rendered it.
    `categories`, `tags`: as the importer found or made them for the names in `content`;
    `attachments`: the legacy attachments it shows; `details`: the post's own fields."""

    content: Content
    rendered: Rendered
    details: dict
    draft: bool
    categories: list[Category]
    tags: list
    attachments: list[Attachment]
    comment: str


def import_new(items: list[ImportedPost], *, by, run: ImportRun) -> list[Post]:
    """Write new posts from the legacy dump, in the order of `items`: each with its first revision,
    categories, tags, attachments, stored article and audit row, published unless its file is a
    draft. What `create` and `publish` would write, as rows in bulk: their queries per post would
    take a tenth of an import's time. What readers see of them the importer refreshes once for the
    run."""
    _check_may_import(by)
    now = timezone.now()
    with transaction.atomic():
        posts = [_new_post(item, by, now) for item in items]
        insert_instances(posts)
        by_slug = {post.slug: post for post in posts}
        for slug, pk in Post.objects.filter(slug__in=by_slug).values_list("slug", "pk"):
            by_slug[slug].pk = pk
        insert_instances(
            [
                new_revision(
                    post,
                    item.content,
                    item.rendered.html,
                    by=by,
                    source=Revision.Source.IMPORT,
                    message=item.comment,
                    created=now,
                )
                for post, item in zip(posts, items, strict=True)
            ]
        )
        _point_at_first_revisions(posts)
        _link(list(zip(posts, items, strict=True)))
        store_links([post.pk for post in posts])
        audit.log_created(posts, [item.comment for item in items], user=by, run=run, when=now)
    return posts


def _point_at_first_revisions(posts: list[Post]) -> None:
    """Make each new post's one revision its latest, and a published one's live one."""
    created = Post.objects.filter(pk__in=[post.pk for post in posts])
    created.update(
        latest_revision=Subquery(Revision.objects.filter(post=OuterRef("pk")).order_by("-pk").values("pk")[:1])
    )
    created.filter(status=Status.PUBLISHED).update(live_revision=F("latest_revision"))
    latest = dict(created.values_list("pk", "latest_revision_id"))
    for post in posts:
        post.latest_revision_id = latest[post.pk]
        post.live_revision_id = latest[post.pk] if post.is_published else None


def _link(pairs: list[tuple[Post, ImportedPost]]) -> None:
    """Link the new posts to their categories, tags and attachments."""
    categories = [(post.pk, category.pk) for post, item in pairs for category in item.categories]
    insert_rows(Post.categories.through, ("post", "category"), categories)
    tags = [(post.pk, tag.pk) for post, item in pairs for tag in item.tags]
    insert_rows(TaggedPost, ("content_object", "tag"), tags)
    attachments = [(attachment.pk, post.pk) for post, item in pairs for attachment in item.attachments]
    insert_rows(Attachment.posts.through, ("attachment", "post"), attachments)


def _new_post(item: ImportedPost, by, now) -> Post:
    """The unsaved post of a new file, with its stored article. A published one's first revision,
    made `now`, is its live one."""
    content = item.content
    post = Post(
        title=content.title,
        slug=content.slug,
        body=content.body,
        labels=Post.labels_for(item.categories, [tag.name for tag in item.tags]),
        status=Status.DRAFT if item.draft else Status.PUBLISHED,
        author=by,
        created=now,
        updated=now,
        **item.details,
    )
    post.set_rendered(item.rendered)
    post.article = article_of(
        post, item.categories, item.tags, item.attachments, modified=now if post.is_published else None
    )
    return post


def reimport(
    post: Post,
    *,
    content: Content,
    rendered: Rendered,
    categories: Iterable[Category],
    tags: Iterable,
    details: dict,
    attachments: Iterable[Attachment],
    draft: bool,
    by,
    run: ImportRun,
    comment: str,
) -> Revision:
    """Write a file of the legacy dump over its post: the dump says what the post is, whatever its
    state in the CMS (the importer leaves alone, unless forced, posts changed there since). A post
    deleted in the CMS comes back (logged as undeleted); waiting changes, review and schedule are
    dropped; the post is published unless the file is a draft (a post unpublished in the CMS
    stays unpublished). `categories`, `tags`: as the
    importer found or made them for the names in `content`; `details`: the post's own fields;
    `attachments`: the legacy attachments it shows, linked to it besides those it had."""
    _check_may_import(by)
    with transaction.atomic():
        post = locked(post)
        _link_attachments(post, attachments)
        before = audit.logged_state(post)
        revision = save_new_revision(post, content, rendered, by=by, source=Revision.Source.IMPORT, message=comment)
        for name, value in details.items():
            setattr(post, name, value)
        post.pending_status, post.publish_at, post.submitted_at = "", None, None
        if post.status in (Status.DELETED, Status.IN_REVIEW, Status.SCHEDULED, Status.DRAFT):
            post.status = Status.PUBLISHED
        if draft and post.status == Status.PUBLISHED:
            post.status = Status.DRAFT
        post.latest_revision = revision
        post.live_revision = revision if post.is_published else None
        apply_content(post, content, rendered, categories=list(categories), tags=list(tags))
        action = Action.UNDELETE if before[0] == Status.DELETED else Action.EDIT
        audit.log(post, by, action, before, revision, comment, run=run)
        # What readers see of it the importer refreshes once for the run, with every post it wrote.
        refresh([post.pk], seen=False)
    return revision


def add_legacy_aliases(aliases: dict[str, tuple[int, str]], *, by) -> int:
    """Give posts the addresses their files had on the old wiki: `aliases` maps a normalised path
    to the post's id and the alias's kind. A path that is an alias already stays as it is (the
    loader refused a file claiming another post's). Returns how many were added."""
    _check_may_import(by)
    existing = set(Alias.objects.filter(path__in=aliases).values_list("path", flat=True))
    created = connection.ops.adapt_datetimefield_value(timezone.now())
    new = [(path, post_id, kind, created) for path, (post_id, kind) in aliases.items() if path not in existing]
    insert_rows(Alias, ("path", "post", "kind", "created"), new, skip_existing=False)
    NotFound.objects.filter(path__in=[path for path, *_ in new]).delete()  # found now
    return len(new)


def show_stored_attachments(post: Post, attachments: Iterable[Attachment], *, html: str, by) -> None:
    """An unchanged post whose attachments the import stored only now: linked to them, and its HTML
    (`html`, the same words pointing at the stored copies) given to it and to its live and latest
    revisions of the same words. No revision is made: the words are the same."""
    _check_may_import(by)
    with transaction.atomic():
        _link_attachments(post, attachments)
        if html != post.body_html:
            Post.objects.filter(pk=post.pk).update(body_html=html)
            revisions = {post.live_revision_id, post.latest_revision_id} - {None}
            Revision.objects.filter(pk__in=revisions, body=post.body).update(body_html=html)
        # What readers see of it the importer refreshes once for the run, with every post it wrote.
        refresh([post.pk], seen=False)


def _link_attachments(post: Post, attachments: Iterable[Attachment]) -> None:
    insert_rows(Attachment.posts.through, ("attachment", "post"), [(a.pk, post.pk) for a in attachments])


def _check_may_import(by) -> None:
    """Refuse a user without the right to import; None (a command run without --user) has it."""
    if by is not None and not by.has_perm("posts.import_dump"):
        raise PermissionDenied("You may not import the legacy dump.")
