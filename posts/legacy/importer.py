"""Load the legacy dump into the database.

`import_dump()` is the one entry point: the management command, the admin's import page (through
posts/tasks.py) and the tests call it. Files are read from the dump (dump.py, frontmatter.py),
parsed and rendered in worker processes (prepare.py), checked against the dump so far and the
database (claims.py), and written in batches (loader.py; its attachments: attachment_import.py).
A file that fails is reported (report.py) with its name and the reason, and nothing of it is
written.
"""

import logging
import os
from contextlib import nullcontext
from pathlib import Path

from django.db import DatabaseError, connection, transaction
from tqdm import tqdm

from ..changes import refresh
from ..import_runs import Progress, fail_abandoned
from ..models import ImportRun, Post
from .dump import DumpError, count_dump, iter_dump
from .loader import Loader
from .report import ImportReport

BATCH_SIZE = 200
ANALYZE_FROM = 1000  # posts written in one run
SEARCH_INDEXES = ("posts_post_search_vector", "posts_post_search_title")  # posts/migrations/0004_search.py
ANALYZED_TABLES = ("posts_post", "posts_post_categories", "posts_taggedpost", "taggit_tag", "posts_alias")

logger = logging.getLogger(__name__)


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
        with transaction.atomic() if all_or_nothing else nullcontext():
            loader.load(files, batch_size, workers, after_batch=lambda: tracker.beat(report.files_done()))
            loader.writer.check_links()
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
    """What depends on the posts written: store again the articles of every post showing an
    attachment stored in this run (posts not in the dump among them; those written have theirs),
    remake every tag's digest once, and make cached pages stale.
    After a large import on PostgreSQL, do at once what autovacuum would do minutes later: move
    the search indexes' pending entries into the indexes proper (until then every search reads
    them all) and refresh the planner's statistics (until then it may scan every post instead of
    using an index).
    Both are for speed alone: a database role that may not run them only gets a warning."""
    refresh(
        Post.objects.filter(attachments__in=stored_attachments).values_list("pk", flat=True), seen=True, tag_ids=None
    )
    if not (large and connection.vendor == "postgresql"):
        return
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for index in SEARCH_INDEXES:
                cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
            cursor.execute(f"ANALYZE {', '.join(ANALYZED_TABLES)}")
    except DatabaseError as error:
        logger.warning("Could not clean the search indexes or refresh statistics after the import: %s", error)
