"""Writing what the loader checked, through the workflow's import verbs: a batch's new posts
(workflow.import_new), a changed file over its post (workflow.reimport), the files' legacy
addresses (workflow.add_legacy_aliases), and an unchanged post's attachments stored only now
(workflow.show_stored_attachments); and the internal links of what was written, for the report."""

import re

from .. import workflow
from ..aliases import normalize_path
from ..links import resolvable
from ..models import Alias, ImportRun, Post
from ..rendering import Rendered, render
from .attachment_import import AttachmentImporter, BatchAttachments
from .dump import LegacyAlias, LegacyPost
from .labels import Labels
from .report import ImportReport

PAGE_ID_PATH = re.compile(r"^/\d+$")


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
        """The batch's new posts, through the workflow (which writes them in bulk and logs them),
        with their aliases."""
        attachments = self.attachments.for_posts(batch)
        imported = []
        for legacy in batch:
            result = self._render(legacy, prepared[legacy.slug], attachments)
            self.links[legacy.slug] = set(result.links)
            imported.append(
                workflow.ImportedPost(
                    content=_content(legacy),
                    rendered=result,
                    details=_details(legacy),
                    draft=legacy.draft,
                    categories=[self.labels.category(name) for name in legacy.categories],
                    tags=[self.labels.tag(name) for name in legacy.tags],
                    attachments=attachments.of(legacy),
                    comment=f"Imported from {legacy.name}",
                )
            )
        posts = workflow.import_new(imported, by=self.user, run=self.run)
        self._add_aliases(list(zip(posts, batch, strict=True)))
        self.report.created.extend(legacy.slug for legacy in batch)

    def update(self, post: Post, legacy: LegacyPost, prepared: Rendered | None) -> None:
        """Write the file over its post, through the workflow (which logs it)."""
        attachments = self.attachments.for_posts([legacy])
        result = self._render(legacy, prepared, attachments)
        self.links[legacy.slug] = set(result.links)
        revived = post.status == Post.Status.DELETED
        workflow.reimport(
            post,
            # The dump has no summaries: the live one written in the CMS stays (one waiting for
            # review is dropped with the rest of the waiting change).
            content=_content(legacy, summary=post.written_summary),
            rendered=result,
            categories=[self.labels.category(name) for name in legacy.categories],
            tags=[self.labels.tag(name) for name in legacy.tags],
            details=_details(legacy),
            attachments=attachments.of(legacy),
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

    def _render(self, legacy: LegacyPost, prepared: Rendered | None, attachments: BatchAttachments) -> Rendered:
        """The body as rendered by a worker, unless it must point at our stored attachments."""
        stored = attachments.urls_for(legacy)
        if prepared is not None and not stored:
            return prepared
        return render(legacy.body, attachments=stored)

    def _add_aliases(self, pairs: list[tuple[Post, LegacyPost]]) -> None:
        aliases = {}
        for post, legacy in pairs:
            for alias in legacy.aliases:
                path = normalize_path(alias.path)
                aliases[path] = (post.pk, _alias_kind(alias, path))
        self.report.aliases_created += workflow.add_legacy_aliases(aliases, by=self.user)

    def refresh_attachments(self, post: Post, legacy: LegacyPost) -> None:
        """An unchanged post whose attachments are stored only now renders with our copies."""
        if not self.attachments.directory or not legacy.attachment_urls:
            return
        attachments = self.attachments.for_posts([legacy])
        html = render(legacy.body, attachments=attachments.urls_for(legacy)).html
        workflow.show_stored_attachments(post, attachments.of(legacy), html=html, by=self.user)

    def check_links(self) -> None:
        """Report internal links of the posts written in this run that lead nowhere."""
        targets = {link for links in self.links.values() for link in links}
        good = resolvable(targets)
        for slug, links in sorted(self.links.items()):
            for link in sorted(links - good):
                self.report.broken_links.append({"post": slug, "link": link})


def _content(legacy: LegacyPost, *, summary: str = "") -> workflow.Content:
    return workflow.Content(
        legacy.title, legacy.slug, legacy.body, tuple(legacy.categories), tuple(legacy.tags), summary
    )


def _details(legacy: LegacyPost) -> dict:
    """The post's own fields, which no revision holds."""
    return {
        "date": legacy.date,
        "lastmod": legacy.lastmod,
        "tiki_page_id": legacy.tiki_page_id,
        "legacy_metadata": legacy.extra,
        "import_checksum": legacy.checksum,
    }


def _alias_kind(alias: LegacyAlias, path: str) -> str:
    """The kind of an alias, from its origin and its normalised path."""
    if alias.origin == "page_id" or PAGE_ID_PATH.match(path):
        return Alias.Kind.PAGE_ID
    if path.startswith("/posts/"):
        return Alias.Kind.OLD_SLUG
    return Alias.Kind.LEGACY_TITLE
