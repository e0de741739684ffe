"""The loader: takes a run's files batch by batch (parsed and rendered by prepare.py), checks each
against the run so far and the database (claims.py, and conflicts with changes made in the CMS),
and has the writer write them (writer.py), each batch in one transaction; file by file when a
batch clashes, so only the file at fault fails."""

from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from django.db import DataError, IntegrityError, reset_queries, transaction
from django.db.models import Q

from ..aliases import normalize_path
from ..models import Alias, ImportRun, Post, Revision
from .attachment_import import AttachmentImporter
from .claims import Claims
from .dump import DumpError, LegacyPost, file_checksum
from .prepare import Prepared, Unchanged, ordered_map, prepare
from .report import ImportReport
from .writer import Writer


class Loader:
    """Loads a run's files: what is new, changed, unchanged, in conflict or failed."""

    def __init__(self, report: ImportReport, *, attachments_dir, force: bool, user, store_files: bool, run: ImportRun):
        self.report = report
        self.run = run
        self.attachments = AttachmentImporter(report, attachments_dir, store_files=store_files)
        self.force = force
        self.user = user
        self.claims = Claims()
        self.writer = Writer(report, attachments=self.attachments, user=user, run=run)

    # -- batches ---------------------------------------------------------------------------

    def load(self, files: Iterable, batch_size: int, workers: int, after_batch: Callable = lambda: None) -> None:
        for batch in _batched(self._prepared(files, batch_size, workers), batch_size):
            self._load_retrying(batch)
            after_batch()

    def _load_retrying(self, batch: list) -> None:
        reset_queries()  # with DEBUG on, Django would keep every query of the run in memory
        counts = self.report.counts()
        try:
            with transaction.atomic():
                self._load_batch(batch)
        except (IntegrityError, DataError):
            # A row clashed with one written concurrently, or a value did not fit: retry file
            # by file so only that file fails. What the rolled-back batch created is gone.
            self.report.restore(counts)
            self.writer.labels.forget()
            for item in batch:
                self._forget(item)
            for item in batch:
                try:
                    with transaction.atomic():
                        self._load_batch([item])
                except (IntegrityError, DataError) as error:
                    self._forget(item)
                    self.report.fail(DumpError(_name(item), f"could not be written: {error}"))

    def _prepared(self, files: Iterable, batch_size: int, workers: int) -> Iterator[Prepared | Unchanged]:
        for result in ordered_map(prepare, self._jobs(files, batch_size), workers=workers, inline=batch_size):
            if isinstance(result, DumpError):
                self.report.fail(result)
            else:
                yield result

    def _jobs(self, files: Iterable, batch_size: int) -> Iterator:
        """Jobs for `prepare`. A file whose exact bytes were imported before is not parsed again
        (unless attachments are given: they may have to be stored for it)."""
        for batch in _batched(files, batch_size):
            checksums = {f.name: file_checksum(f.name, f.data) for f in batch if not f.error}
            imported = {
                checksum: (slug, tiki_page_id)
                for checksum, slug, tiki_page_id in Post.objects.filter(
                    import_checksum__in=checksums.values()
                ).values_list("import_checksum", "slug", "tiki_page_id")
            }
            for dump_file in batch:
                if dump_file.error:
                    yield dump_file.error
                elif (known := imported.get(checksums[dump_file.name])) and not self.attachments.directory:
                    yield Unchanged(dump_file.name, *known)
                else:
                    yield (dump_file.name, dump_file.data, checksums[dump_file.name] not in imported)

    def _load_batch(self, items: list[Prepared | Unchanged]) -> None:
        prepared = []
        for item in items:
            if isinstance(item, Unchanged):
                self._keep(item)
            else:
                prepared.append(item)
        batch = [item.legacy for item in prepared]
        rendered = {item.legacy.slug: item.rendered for item in prepared}
        existing = self._existing_posts(batch)
        paths = [normalize_path(a.path) for p in batch for a in p.aliases]
        taken_aliases = dict(Alias.objects.filter(path__in=paths).values_list("path", "post__slug"))
        # A site page's address too: an alias there would answer before the page (site_pages.py).
        pages = Post.objects.site_pages().at(*[path + "/" for path in paths]).values_list("path", "slug")
        taken_aliases |= {normalize_path(path): slug for path, slug in pages}
        new, changed = [], []
        for legacy in batch:
            post = existing.get(("id", legacy.tiki_page_id)) or existing.get(("slug", legacy.slug))
            try:
                self.claims.claim(legacy, post, taken_aliases)
            except DumpError as error:
                self.report.fail(error)
                continue
            if post is None:
                new.append(legacy)
            elif post.import_checksum == legacy.checksum:
                self.report.unchanged.append(post.slug)
                self.writer.refresh_attachments(post, legacy)
            elif self._is_conflict(post, legacy):
                continue
            else:
                changed.append((post, legacy))
        if new:
            self.writer.create(new, rendered)
        for post, legacy in changed:
            self.writer.update(post, legacy, rendered[legacy.slug])

    def _keep(self, item: Unchanged) -> None:
        """An unchanged file still claims its slug and id, so a later duplicate in the dump fails."""
        try:
            self.claims.claim_identity(item.name, item.slug, item.tiki_page_id)
        except DumpError as error:
            self.report.fail(error)
        else:
            self.report.unchanged.append(item.slug)

    def _existing_posts(self, batch: list[LegacyPost]) -> dict[tuple, Post]:
        ids = [p.tiki_page_id for p in batch if p.tiki_page_id]
        slugs = [p.slug for p in batch]
        found = Post.objects.select_related("latest_revision").filter(Q(tiki_page_id__in=ids) | Q(slug__in=slugs))
        existing: dict[tuple, Post] = {}
        for post in found:
            if post.tiki_page_id:
                existing[("id", post.tiki_page_id)] = post
            existing[("slug", post.slug)] = post
        return existing

    def _forget(self, item: Prepared | Unchanged) -> None:
        legacy = item.legacy if isinstance(item, Prepared) else item
        self.claims.forget(legacy)
        self.writer.links.pop(legacy.slug, None)
        for bucket in (self.report.created, self.report.updated, self.report.revived, self.report.unchanged):
            if legacy.slug in bucket:
                bucket.remove(legacy.slug)

    def _is_conflict(self, post: Post, legacy: LegacyPost) -> bool:
        reason = ""
        if post.status == Post.Status.DELETED:
            reason = "deleted in the CMS"
        elif post.latest_revision and post.latest_revision.source != Revision.Source.IMPORT:
            reason = "edited in the CMS since its last import"
        elif post.pending_status or post.status in (Post.Status.IN_REVIEW, Post.Status.SCHEDULED):
            reason = "in review or scheduled in the CMS"
        if not reason or self.force:
            return False
        self.report.conflicts.append({"file": legacy.name, "slug": post.slug, "reason": reason})
        return True

    # -- writing ---------------------------------------------------------------------------


def _name(item: Prepared | Unchanged) -> str:
    return item.legacy.name if isinstance(item, Prepared) else item.name


def _batched(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
