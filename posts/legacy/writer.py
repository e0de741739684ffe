"""Writing what the loader checked: new posts in bulk rows (with their revisions, links, aliases,
articles and audit rows, as the workflow would make them), a changed file over its post through
the workflow (workflow.reimport), and the internal links of what was written, for the report."""

import re

from django.db import connection
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from .. import workflow
from ..aliases import normalize_path
from ..article import article_of
from ..changes import refresh
from ..links import resolvable
from ..models import Alias, Attachment, ImportRun, Post, PostAction, Revision, TaggedPost
from ..rendering import Rendered, render, summarize
from .attachment_import import AttachmentImporter, BatchAttachments
from .dump import LegacyAlias, LegacyPost
from .labels import Labels
from .report import ImportReport
from .rows import insert_instances, insert_rows

PAGE_ID_PATH = re.compile(r"^/\d+$")
AUDIT_FIELDS = (
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


class Writer:
    """Writes a run's posts by `user`, counting in `report`; remembers each written post's
    internal links (`links`, by slug) and the categories and tags it found or made (`labels`)."""

    def __init__(self, report: ImportReport, *, attachments: AttachmentImporter, user, run: ImportRun):
        self.report = report
        self.attachments = attachments
        self.user = user
        self.run = run
        self.labels = Labels()
        self.links: dict[str, set[str]] = {}

    def create(self, batch: list[LegacyPost], prepared: dict[str, Rendered | None]) -> None:
        """The batch's new posts, as rows written in bulk: each with its first revision (made by
        workflow.new_revision), its links, aliases, article and audit row; published unless its
        file is a draft. What the workflow's create and publish would write, without their queries
        per post (a tenth of an import's time)."""
        attachments = self.attachments.for_posts(batch)
        now = timezone.now()
        posts, rendered = [], {}
        for legacy in batch:
            result = self._render(legacy, prepared[legacy.slug], attachments)
            rendered[legacy.slug] = result
            self.links[legacy.slug] = set(result.links)
            post = Post(
                title=legacy.title,
                slug=legacy.slug,
                body=legacy.body,
                body_html=result.html,
                body_text=result.text,
                summary=summarize(result.text),
                labels=self.labels.of(legacy),
                date=legacy.date,
                lastmod=legacy.lastmod,
                tiki_page_id=legacy.tiki_page_id,
                legacy_metadata=legacy.extra,
                status=Post.Status.DRAFT if legacy.draft else Post.Status.PUBLISHED,
                author=self.user,
                import_checksum=legacy.checksum,
                created=now,
                updated=now,
            )
            post.article = self._article(post, legacy, attachments, now)
            posts.append(post)
        insert_instances(posts)
        by_slug = {post.slug: post for post in posts}
        for slug, pk in Post.objects.filter(slug__in=by_slug).values_list("slug", "pk"):
            by_slug[slug].pk = pk
        insert_instances(
            [self._revision(by_slug[legacy.slug], legacy, rendered[legacy.slug].html, now) for legacy in batch]
        )
        created = Post.objects.filter(pk__in=[post.pk for post in posts])
        created.update(
            latest_revision=Subquery(Revision.objects.filter(post=OuterRef("pk")).order_by("-pk").values("pk")[:1])
        )
        created.filter(status=Post.Status.PUBLISHED).update(live_revision=F("latest_revision"))
        self._set_categories_and_tags([(by_slug[legacy.slug], legacy) for legacy in batch])
        self._add_aliases([(by_slug[legacy.slug], legacy) for legacy in batch])
        self._link_attachments(attachments, [(by_slug[legacy.slug], legacy) for legacy in batch])
        revisions = dict(created.values_list("pk", "latest_revision_id"))
        self._audit(
            [
                (post, revisions[post.pk], PostAction.Action.CREATE, ("", ""), f"Imported from {legacy.name}")
                for legacy in batch
                for post in [by_slug[legacy.slug]]
            ]
        )
        self.report.created.extend(legacy.slug for legacy in batch)

    def update(self, post: Post, legacy: LegacyPost, prepared: Rendered | None) -> None:
        """Write the file over its post, through the workflow (which logs it)."""
        attachments = self.attachments.for_posts([legacy])
        result = self._render(legacy, prepared, attachments)
        self.links[legacy.slug] = set(result.links)
        revived = post.status == Post.Status.DELETED
        self._link_attachments(attachments, [(post, legacy)])
        workflow.reimport(
            post,
            content=_content(legacy),
            rendered=result,
            categories=[self.labels.category(name) for name in legacy.categories],
            tags=[self.labels.tag(name) for name in legacy.tags],
            details={
                "date": legacy.date,
                "lastmod": legacy.lastmod,
                "tiki_page_id": legacy.tiki_page_id,
                "legacy_metadata": legacy.extra,
                "import_checksum": legacy.checksum,
            },
            draft=legacy.draft,
            by=self.user,
            run=self.run,
            comment=(
                f"Deleted in the CMS, brought back by a forced import of {legacy.name}"
                if revived
                else f"Imported from {legacy.name}"
            ),
        )
        if post.slug != legacy.slug:
            self.report.aliases_created += 1
        self._add_aliases([(post, legacy)])
        self.report.updated.append(legacy.slug)
        if revived:
            self.report.revived.append(legacy.slug)

    def _audit(self, moves: list[tuple]) -> None:
        """One audit row per post written, as rows in one statement: (post, revision id, action,
        the state and waiting change's state it was in, comment), by the run's user, naming the run."""
        created = connection.ops.adapt_datetimefield_value(timezone.now())
        user_id = self.user.pk if self.user else None
        rows = [
            (
                post.pk,
                post.title,
                user_id,
                str(action),
                *was,
                post.status,
                post.pending_status,
                revision_id,
                comment,
                created,
                self.run.pk,
            )
            for post, revision_id, action, was, comment in moves
        ]
        insert_rows(PostAction, AUDIT_FIELDS, rows, skip_existing=False)

    def _render(self, legacy: LegacyPost, prepared: Rendered | None, attachments: BatchAttachments) -> Rendered:
        """The body as rendered by a worker, unless it must point at our stored attachments."""
        stored = attachments.urls_for(legacy)
        if prepared is not None and not stored:
            return prepared
        return render(legacy.body, attachments=stored)

    def _article(self, post: Post, legacy: LegacyPost, attachments: BatchAttachments, now) -> dict:
        """The stored article of a new post, from what the run links it to (article.py). A
        published one's first revision, made `now`, is its live one."""
        return article_of(
            post,
            [self.labels.category(name) for name in legacy.categories],
            [self.labels.tag(name) for name in legacy.tags],
            [attachments.by_url[url] for url in legacy.attachment_urls if url in attachments.by_url],
            modified=now if post.is_published else None,
        )

    def _link_attachments(self, attachments: BatchAttachments, pairs: list[tuple[Post, LegacyPost]]) -> None:
        insert_rows(Attachment.posts.through, ("attachment", "post"), attachments.rows(pairs))

    def _revision(self, post: Post, legacy: LegacyPost, html: str, when) -> Revision:
        return workflow.new_revision(
            post,
            _content(legacy),
            html,
            by=self.user,
            source=Revision.Source.IMPORT,
            message=f"Imported from {legacy.name}",
            created=when,
        )

    def _set_categories_and_tags(self, pairs: list[tuple[Post, LegacyPost]]) -> None:
        insert_rows(
            Post.categories.through,
            ("post", "category"),
            [(post.pk, self.labels.category(name).pk) for post, legacy in pairs for name in legacy.categories],
        )
        insert_rows(
            TaggedPost,
            ("content_object", "tag"),
            [(post.pk, self.labels.tag(name).pk) for post, legacy in pairs for name in legacy.tags],
        )

    def _add_aliases(self, pairs: list[tuple[Post, LegacyPost]]) -> None:
        wanted = {}
        for post, legacy in pairs:
            for alias in legacy.aliases:
                path = normalize_path(alias.path)
                wanted[path] = (post.pk, _alias_kind(alias, path))
        existing = set(Alias.objects.filter(path__in=wanted).values_list("path", flat=True))
        created = connection.ops.adapt_datetimefield_value(timezone.now())
        new = [(path, post_id, kind, created) for path, (post_id, kind) in wanted.items() if path not in existing]
        insert_rows(Alias, ("path", "post", "kind", "created"), new, skip_existing=False)
        self.report.aliases_created += len(new)

    def refresh_attachments(self, post: Post, legacy: LegacyPost) -> None:
        """An unchanged post whose attachments are stored only now renders with our copies."""
        if not self.attachments.directory or not legacy.attachment_urls:
            return
        attachments = self.attachments.for_posts([legacy])
        self._link_attachments(attachments, [(post, legacy)])
        html = render(legacy.body, attachments=attachments.urls_for(legacy)).html
        if html != post.body_html:
            Post.objects.filter(pk=post.pk).update(body_html=html)  # links changed, not the words
            revisions = {post.live_revision_id, post.latest_revision_id} - {None}
            Revision.objects.filter(pk__in=revisions, body=legacy.body).update(body_html=html)
        refresh([post.pk], seen=False)  # seen by readers: _after_bulk_write, once for the run

    def check_links(self) -> None:
        """Report internal links of the posts written in this run that lead nowhere."""
        targets = {link for links in self.links.values() for link in links}
        good = resolvable(targets)
        for slug, links in sorted(self.links.items()):
            for link in sorted(links - good):
                self.report.broken_links.append({"post": slug, "link": link})


def _content(legacy: LegacyPost) -> workflow.Content:
    return workflow.Content(legacy.title, legacy.slug, legacy.body, tuple(legacy.categories), tuple(legacy.tags))


def _alias_kind(alias: LegacyAlias, path: str) -> str:
    """The kind of an alias, from its origin and its normalised path."""
    if alias.origin == "page_id" or PAGE_ID_PATH.match(path):
        return Alias.Kind.PAGE_ID
    if path.startswith("/posts/"):
        return Alias.Kind.OLD_SLUG
    return Alias.Kind.LEGACY_TITLE
