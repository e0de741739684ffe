"""Load the legacy dump into the database.

`import_dump()` is the one entry point: the management command, the admin's import page and the
tests call it. Files are parsed into `LegacyPost` records (posts/legacy/dump.py), checked against
the dump so far and the database, and written in batches. A file that fails is reported with its
name and the reason, and nothing of it is written.
"""

import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path

from django.db import DatabaseError, DataError, IntegrityError, connection, reset_queries, transaction
from django.db.models import DateTimeField, F, JSONField, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.text import slugify
from taggit.models import Tag
from tqdm import tqdm

from .aliases import normalize_path
from .article import article_of, articles_paused, store_articles
from .attachment_import import AttachmentImporter, BatchAttachments
from .cache import bump_content_version
from .import_runs import Progress, fail_abandoned
from .legacy.dump import DumpError, LegacyAlias, LegacyPost, count_dump, file_checksum, iter_dump
from .legacy.prepare import Prepared, Unchanged, ordered_map, prepare
from .links import resolvable
from .models import Alias, Attachment, Category, ImportRun, Post, PostAction, Revision, TaggedPost
from .related import digests_paused, refresh_tag_digests
from .rendering import Rendered, render, summarize

BATCH_SIZE = 200
ROWS_PER_STATEMENT = 500
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
ANALYZE_FROM = 1000  # posts written in one run
SEARCH_INDEXES = ("posts_post_search_vector", "posts_post_search_title")  # posts/migrations/0004_search.py
ANALYZED_TABLES = ("posts_post", "posts_post_categories", "posts_taggedpost", "taggit_tag", "posts_alias")

logger = logging.getLogger(__name__)


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    source: str
    dry_run: bool = False
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    revived: list[str] = field(default_factory=list)  # deleted in the CMS, brought back by --force
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    aliases_created: int = 0
    attachments_registered: int = 0
    attachments_stored: int = 0
    attachments_missing: list[str] = field(default_factory=list)
    attachments_refused: list[str] = field(default_factory=list)
    broken_links: list[dict] = field(default_factory=list)
    aborted: str = ""
    run_id: int | None = None  # its ImportRun

    def counts(self) -> tuple[int, int, int]:
        return self.aliases_created, self.attachments_registered, self.attachments_stored

    def restore(self, counts: tuple[int, int, int]) -> None:
        self.aliases_created, self.attachments_registered, self.attachments_stored = counts

    @property
    def ok(self) -> bool:
        return not self.failed and not self.aborted

    def files_done(self) -> int:
        return sum(map(len, (self.created, self.updated, self.unchanged, self.conflicts, self.failed)))

    def fail(self, error: DumpError) -> None:
        self.failed.append(
            {
                "file": error.name,
                "field": error.field,
                "line": error.line,
                "column": error.column,
                "message": str(error),
            }
        )

    def summary(self) -> dict:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "conflicts": len(self.conflicts),
            "failed": len(self.failed),
            "revived": len(self.revived),
            "aliases": self.aliases_created,
            "attachments": self.attachments_registered,
            "attachments stored": self.attachments_stored,
            "attachments refused": len(self.attachments_refused),
            "broken links": len(self.broken_links),
        }

    def to_dict(self) -> dict:
        return {"summary": self.summary(), **asdict(self)}


def import_dump(
    source: Path | str,
    *,
    attachments_dir: Path | str | None = None,
    dry_run: bool = False,
    force: bool = False,
    strict: bool = False,
    user=None,
    progress: bool = False,
    batch_size: int = BATCH_SIZE,
    workers: int | None = None,
    name: str | None = None,
    run: ImportRun | None = None,
) -> ImportReport:
    """Import a dump (directory, .zip or .tar.gz of .md files) and record the run, under `name`
    if given (an uploaded file's own name rather than where it was saved), in `run` if given
    (one the admin queued), else in a new ImportRun.

    `dry_run` does all the work inside a transaction that is rolled back and copies no file;
    `strict` writes nothing at all when any file fails; `force` overwrites posts edited in the
    CMS since their last import, and brings back posts deleted there. Files after the first
    batch are parsed and rendered in `workers` processes (default: one per CPU). The run's
    progress and heartbeat are written as it goes; whatever stops it, it ends finished.
    """
    workers = (os.cpu_count() or 1) if workers is None else workers
    fail_abandoned()
    if run is None:
        run = ImportRun.objects.create(
            source=name or str(source), dry_run=dry_run, forced=force, strict=strict, user=user
        )
    report = ImportReport(source=run.source, dry_run=run.dry_run)
    report.run_id = run.pk
    upkeep_owed = _interrupted_before(run)
    loader = Loader(report, attachments_dir=attachments_dir, force=force, user=user, store_files=not dry_run, run=run)
    all_or_nothing = dry_run or strict
    tracker = Progress(run)
    try:
        files = iter_dump(source)
        tracker.start(count_dump(source))
        if progress:
            files = tqdm(files, total=tracker.total, unit=" files", desc="Importing")
        with transaction.atomic() if all_or_nothing else nullcontext(), digests_paused(), articles_paused():
            loader.load(files, batch_size, workers, after_batch=lambda: tracker.beat(report.files_done()))
            loader.check_links()
            if all_or_nothing and (dry_run or not report.ok):
                transaction.set_rollback(True)
                loader.attachments.discard_stored_files()
    except DumpError as error:
        report.aborted = str(error)
    except BaseException as error:
        report.aborted = f"the import stopped on an unexpected error: {error!r}"
        raise
    finally:
        # Whatever stopped the run, the batches written so far (each committed on its own unless
        # all or nothing) are seen at once.
        rolled_back = dry_run or (strict and not report.ok)
        wrote = report.created or report.updated or any(report.counts())
        if not rolled_back and (wrote or upkeep_owed):
            _after_bulk_write(
                large=len(report.created) + len(report.updated) >= ANALYZE_FROM,
                stored_attachments=loader.attachments.stored_ids,
            )
        if strict and report.failed:
            report.aborted = report.aborted or f"--strict: {len(report.failed)} file(s) failed, nothing was written"
        tracker.finish(report.files_done(), report.ok, report.to_dict())
    return report


def _interrupted_before(run: ImportRun) -> bool:
    """Whether the import before this one stopped before its end (killed): what it left undone
    after its batches (tag digests, articles, the cache version) is then done by this run."""
    previous = ImportRun.objects.filter(dry_run=False, pk__lt=run.pk).order_by("-pk").first()
    return previous is not None and "summary" not in previous.report


def _after_bulk_write(*, large: bool, stored_attachments: list[int]) -> None:
    """Bulk writes send no signals: remake the tags' digests, store again the articles of every
    post showing an attachment stored in this run (posts not in the dump among them), and make
    cached pages stale by hand.
    After a large import on PostgreSQL, do at once what autovacuum would do minutes later: move
    the search indexes' pending entries into the indexes proper (until then every search reads
    them all) and refresh the planner's statistics (until then it may scan every post instead of
    using an index).
    Both are for speed alone: a database role that may not run them only gets a warning."""
    refresh_tag_digests()
    if stored_attachments:
        store_articles(Post.objects.filter(attachments__in=stored_attachments).values_list("pk", flat=True))
    transaction.on_commit(bump_content_version)
    if not (large and connection.vendor == "postgresql"):
        return
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for index in SEARCH_INDEXES:
                cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
            cursor.execute(f"ANALYZE {', '.join(ANALYZED_TABLES)}")
    except DatabaseError as error:
        logger.warning("Could not clean the search indexes or refresh statistics after the import: %s", error)


class Loader:
    """Writes parsed posts, remembering what this run has claimed (slugs, ids, aliases)."""

    def __init__(self, report: ImportReport, *, attachments_dir, force: bool, user, store_files: bool, run: ImportRun):
        self.report = report
        self.run = run
        self.attachments = AttachmentImporter(report, attachments_dir, store_files=store_files)
        self.force = force
        self.user = user
        self.claimed_slugs: dict[str, str] = {}
        self.claimed_ids: dict[int, str] = {}
        self.claimed_aliases: dict[str, str] = {}
        self.categories: dict[str, Category] = {}  # by slug
        self.category_names: dict[str, Category] = {}  # by the name as written
        self.tags: dict[str, Tag] = {}
        self.links: dict[str, set[str]] = {}

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
            self.categories.clear()
            self.category_names.clear()
            self.tags.clear()
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
        taken_aliases = dict(
            Alias.objects.filter(path__in=[normalize_path(a.path) for p in batch for a in p.aliases]).values_list(
                "path", "post__slug"
            )
        )
        new, changed = [], []
        for legacy in batch:
            post = existing.get(("id", legacy.tiki_page_id)) or existing.get(("slug", legacy.slug))
            try:
                self._claim(legacy, post, taken_aliases)
            except DumpError as error:
                self.report.fail(error)
                continue
            if post is None:
                new.append(legacy)
            elif post.import_checksum == legacy.checksum:
                self.report.unchanged.append(post.slug)
                self._refresh_attachments(post, legacy)
            elif self._is_conflict(post, legacy):
                continue
            else:
                changed.append((post, legacy))
        if new:
            self._create(new, rendered)
        self._audit([self._update(post, legacy, rendered[legacy.slug]) for post, legacy in changed])

    def _keep(self, item: Unchanged) -> None:
        """An unchanged file still claims its slug and id, so a later duplicate in the dump fails."""
        try:
            self._claim_identity(item.name, item.slug, item.tiki_page_id)
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

    def _claim(self, legacy: LegacyPost, post: Post | None, taken_aliases: dict[str, str]) -> None:
        """Check the file against this run and the database; claim its slug, id and aliases."""
        self._check_identity(legacy.name, legacy.slug, legacy.tiki_page_id)
        if post is not None:
            if legacy.tiki_page_id and post.tiki_page_id and post.tiki_page_id != legacy.tiki_page_id:
                raise DumpError(
                    legacy.name,
                    f"slug '{legacy.slug}' belongs to another post (tiki_page_id {post.tiki_page_id})",
                    field="slug",
                )
            if post.slug != legacy.slug and Post.objects.filter(slug=legacy.slug).exclude(pk=post.pk).exists():
                raise DumpError(legacy.name, f"slug '{legacy.slug}' belongs to another post", field="slug")
        own_slug = post.slug if post else None
        for alias in legacy.aliases:
            path = normalize_path(alias.path)
            owner = self.claimed_aliases.get(path) or taken_aliases.get(path)
            if owner and owner not in (legacy.slug, own_slug, legacy.name):
                raise DumpError(
                    legacy.name, f"alias '{alias.path}' is already claimed by post '{owner}'", field="aliases"
                )
        self._claim_identity(legacy.name, legacy.slug, legacy.tiki_page_id)
        for alias in legacy.aliases:
            self.claimed_aliases.setdefault(normalize_path(alias.path), legacy.slug)

    def _check_identity(self, name: str, slug: str, tiki_page_id: int | None) -> None:
        if slug in self.claimed_slugs:
            raise DumpError(name, f"slug '{slug}' is already used by {self.claimed_slugs[slug]}", field="slug")
        if tiki_page_id and tiki_page_id in self.claimed_ids:
            raise DumpError(
                name,
                f"tiki_page_id {tiki_page_id} is already used by {self.claimed_ids[tiki_page_id]}",
                field="tiki_page_id",
            )

    def _claim_identity(self, name: str, slug: str, tiki_page_id: int | None) -> None:
        self._check_identity(name, slug, tiki_page_id)
        self.claimed_slugs[slug] = name
        if tiki_page_id:
            self.claimed_ids[tiki_page_id] = name

    def _forget(self, item: Prepared | Unchanged) -> None:
        legacy = item.legacy if isinstance(item, Prepared) else item
        self.claimed_slugs.pop(legacy.slug, None)
        self.claimed_ids.pop(legacy.tiki_page_id, None)
        for alias in getattr(legacy, "aliases", ()):
            if self.claimed_aliases.get(normalize_path(alias.path)) == legacy.slug:
                del self.claimed_aliases[normalize_path(alias.path)]
        self.links.pop(legacy.slug, None)
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

    def _create(self, batch: list[LegacyPost], prepared: dict[str, Rendered | None]) -> None:
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
                labels=self._labels(legacy),
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
        _insert_instances(posts)
        by_slug = {post.slug: post for post in posts}
        for slug, pk in Post.objects.filter(slug__in=by_slug).values_list("slug", "pk"):
            by_slug[slug].pk = pk
        _insert_instances(
            [self._revision(by_slug[legacy.slug], legacy, rendered[legacy.slug].html, now) for legacy in batch]
        )
        created = Post.objects.filter(pk__in=[post.pk for post in posts])
        created.update(
            latest_revision=Subquery(Revision.objects.filter(post=OuterRef("pk")).order_by("-pk").values("pk")[:1])
        )
        created.filter(status=Post.Status.PUBLISHED).update(live_revision=F("latest_revision"))
        self._set_categories_and_tags([(by_slug[legacy.slug], legacy) for legacy in batch], replace=False)
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

    def _update(self, post: Post, legacy: LegacyPost, prepared: Rendered | None) -> tuple:
        """Write the file over its post; the audit row to log it."""
        attachments = self.attachments.for_posts([legacy])
        was = (post.status, post.pending_status)
        result = self._render(legacy, prepared, attachments)
        self.links[legacy.slug] = set(result.links)
        old_slug = post.slug
        revision = self._revision(post, legacy, result.html, timezone.now())
        revision.save()
        post.title = legacy.title
        post.slug = legacy.slug
        post.body = legacy.body
        post.set_rendered(result)
        post.labels = self._labels(legacy)
        post.date = legacy.date
        post.lastmod = legacy.lastmod
        post.tiki_page_id = legacy.tiki_page_id
        post.legacy_metadata = legacy.extra
        post.import_checksum = legacy.checksum
        post.latest_revision = revision
        # What the import writes is what the dump says (--force overrides the workflow's state).
        post.pending_status, post.publish_at, post.submitted_at = "", None, None
        if post.status in (Post.Status.DELETED, Post.Status.IN_REVIEW, Post.Status.SCHEDULED):
            post.status = Post.Status.PUBLISHED
        if legacy.draft and post.status == Post.Status.PUBLISHED:
            post.status = Post.Status.DRAFT
        post.live_revision = revision if post.status == Post.Status.PUBLISHED else None
        post.save()
        if old_slug != post.slug:
            self.report.aliases_created += 1
        self._set_categories_and_tags([(post, legacy)], replace=True)
        self._add_aliases([(post, legacy)])
        self._link_attachments(attachments, [(post, legacy)])
        store_articles([post.pk])
        self.report.updated.append(post.slug)
        if was[0] == Post.Status.DELETED:
            self.report.revived.append(post.slug)
            comment = f"Deleted in the CMS, brought back by a forced import of {legacy.name}"
            return post, revision.pk, PostAction.Action.UNDELETE, was, comment
        return post, revision.pk, PostAction.Action.EDIT, was, f"Imported from {legacy.name}"

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
        _insert_rows(PostAction, AUDIT_FIELDS, rows, skip_existing=False)

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
            [self._category(name) for name in legacy.categories],
            [self._tag(name) for name in legacy.tags],
            [attachments.by_url[url] for url in legacy.attachment_urls if url in attachments.by_url],
            modified=now if post.is_published else None,
        )

    def _link_attachments(self, attachments: BatchAttachments, pairs: list[tuple[Post, LegacyPost]]) -> None:
        _insert_rows(Attachment.posts.through, ("attachment", "post"), attachments.rows(pairs))

    def _revision(self, post: Post, legacy: LegacyPost, html: str, when) -> Revision:
        return Revision(
            post=post,
            title=legacy.title,
            slug=legacy.slug,
            body=legacy.body,
            body_html=html,
            categories=list(legacy.categories),
            tags=list(legacy.tags),
            author=self.user,
            created=when,
            source=Revision.Source.IMPORT,
            message=f"Imported from {legacy.name}"[:500],
        )

    def _set_categories_and_tags(self, pairs: list[tuple[Post, LegacyPost]], *, replace: bool) -> None:
        if replace:
            posts = [post for post, _ in pairs]
            Post.categories.through.objects.filter(post__in=posts).delete()
            TaggedPost.objects.filter(content_object__in=posts).delete()
        _insert_rows(
            Post.categories.through,
            ("post", "category"),
            [(post.pk, self._category(name).pk) for post, legacy in pairs for name in legacy.categories],
        )
        _insert_rows(
            TaggedPost,
            ("content_object", "tag"),
            [(post.pk, self._tag(name).pk) for post, legacy in pairs for name in legacy.tags],
        )

    def _labels(self, legacy: LegacyPost) -> str:
        """The post's labels from the categories and tags `_set_categories_and_tags` links."""
        return Post.labels_for(
            [self._category(name).name for name in legacy.categories], [self._tag(name).name for name in legacy.tags]
        )

    def _category(self, name: str) -> Category:
        if name in self.category_names:  # each post asks twice per category: skip the slugify
            return self.category_names[name]
        slug = Category.slug_for(name)
        if slug not in self.categories:
            self.categories[slug] = Category.objects.filter(
                Q(slug=slug) | Q(name__iexact=name)
            ).first() or Category.objects.create(name=name, slug=slug)
        self.category_names[name] = self.categories[slug]
        return self.categories[slug]

    def _tag(self, name: str) -> Tag:
        key = name.casefold()
        if key not in self.tags:
            # taggit makes the slug, unless the name has no letter or digit to make one from.
            slug = "" if slugify(name, allow_unicode=True) else Category.slug_for(name)
            self.tags[key] = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name, slug=slug)
        return self.tags[key]

    def _add_aliases(self, pairs: list[tuple[Post, LegacyPost]]) -> None:
        wanted = {}
        for post, legacy in pairs:
            for alias in legacy.aliases:
                path = normalize_path(alias.path)
                wanted[path] = (post.pk, _alias_kind(alias, path))
        existing = set(Alias.objects.filter(path__in=wanted).values_list("path", flat=True))
        created = connection.ops.adapt_datetimefield_value(timezone.now())
        new = [(path, post_id, kind, created) for path, (post_id, kind) in wanted.items() if path not in existing]
        _insert_rows(Alias, ("path", "post", "kind", "created"), new, skip_existing=False)
        self.report.aliases_created += len(new)

    def _refresh_attachments(self, post: Post, legacy: LegacyPost) -> None:
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
        store_articles([post.pk])

    # -- links -----------------------------------------------------------------------------

    def check_links(self) -> None:
        """Report internal links of the posts written in this run that lead nowhere."""
        targets = {link for links in self.links.values() for link in links}
        good = resolvable(targets)
        for slug, links in sorted(self.links.items()):
            for link in sorted(links - good):
                self.report.broken_links.append({"post": slug, "link": link})


def _insert_rows(model, fields: tuple[str, ...], rows: list[tuple], *, skip_existing: bool = True) -> None:
    """Insert rows of database-ready values, many per statement; rows whose unique values are
    already there are left alone, or raise IntegrityError unless `skip_existing`.

    Building a model instance per row (bulk_create) took most of an import's time.
    """
    rows = list(dict.fromkeys(rows))
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            chunk = rows[start : start + ROWS_PER_STATEMENT]
            cursor.execute(
                f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "
                f"VALUES {', '.join([placeholders] * len(chunk))}{' ON CONFLICT DO NOTHING' if skip_existing else ''}",
                [value for row in chunk for value in row],
            )


def _insert_instances(instances: list) -> None:
    """Insert new model instances (without their primary keys) as rows, like bulk_create.

    bulk_create prepares every value of every row through each field's layers of conversion:
    for 15,000 posts and their revisions, a tenth of the import's time.
    """
    fields = [field for field in type(instances[0])._meta.concrete_fields if not field.primary_key]
    prepared = [(field.attname, _db_value(field)) for field in fields]
    rows = [tuple(to_db(getattr(instance, attname)) for attname, to_db in prepared) for instance in instances]
    _insert_rows(type(instances[0]), tuple(field.name for field in fields), rows, skip_existing=False)


def _db_value(field) -> Callable:
    """What makes a value of `field` ready for the database, for the field types of Post and
    Revision: get_db_prep_save's result, in one step."""
    if isinstance(field, JSONField):
        return lambda value: connection.ops.adapt_json_value(value, field.encoder)
    if isinstance(field, DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if field.choices:
        return lambda value: str(value)  # a TextChoices member as its value
    if field.get_internal_type() not in _PLAIN_FIELD_TYPES:
        raise TypeError(f"{field} needs its own conversion")
    return lambda value: value


_PLAIN_FIELD_TYPES = {"CharField", "SlugField", "TextField", "ForeignKey", "PositiveIntegerField"}


def _name(item: Prepared | Unchanged) -> str:
    return item.legacy.name if isinstance(item, Prepared) else item.name


def _alias_kind(alias: LegacyAlias, path: str) -> str:
    """The kind of an alias, from its origin and its normalised path."""
    if alias.origin == "page_id" or PAGE_ID_PATH.match(path):
        return Alias.Kind.PAGE_ID
    if path.startswith("/posts/"):
        return Alias.Kind.OLD_SLUG
    return Alias.Kind.LEGACY_TITLE


def _batched(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
