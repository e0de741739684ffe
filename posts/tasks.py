"""The admin's long jobs, run in the background by the task worker (`manage.py db_worker`): an
import (a dump of the whole site takes longer than a web request may) and bulk tags on more
posts than one request can change (bulk_tags.MAX_POSTS)."""

import shutil
import tempfile
from pathlib import Path, PurePosixPath
from secrets import token_urlsafe

from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.utils.text import get_valid_filename
from django_tasks import task

from . import bulk_tags
from .legacy.importer import import_dump
from .models import ImportRun, Post

UPLOADS = "private/imports"


def start_import(upload, *, dry_run: bool, force: bool, strict: bool, user) -> ImportRun:
    """Record a run of an uploaded dump, keep the file where the worker reads it (under a name
    nobody can guess), and queue the run."""
    run = ImportRun.objects.create(source=upload.name, dry_run=dry_run, forced=force, strict=strict, user=user)
    name = default_storage.save(f"{UPLOADS}/{token_urlsafe(16)}/{get_valid_filename(Path(upload.name).name)}", upload)
    try:
        run_import.enqueue(run.pk, name)
    except BaseException:
        default_storage.delete(name)
        raise
    return run


@task()
def run_import(run_id: int, stored_name: str) -> dict:
    """Import an uploaded dump into its queued run; the upload is removed after, whatever happens."""
    try:
        run = ImportRun.objects.select_related("user").get(pk=run_id)
        with tempfile.TemporaryDirectory() as directory:
            local = Path(directory, PurePosixPath(stored_name).name)
            with default_storage.open(stored_name) as stored, local.open("wb") as file:
                shutil.copyfileobj(stored, file)
            report = import_dump(
                local, dry_run=run.dry_run, force=run.forced, strict=run.strict, user=run.user, run=run
            )
    finally:
        default_storage.delete(stored_name)
    return report.summary()


@task()
def change_tags(*, user_id: int, post_ids: list[int], add: list[str], remove: list[str], message: str) -> dict:
    """Bulk tags on the posts chosen when the change was confirmed, as the user who confirmed it:
    the workflow checks their rights post by post, as they are now."""
    user = get_user_model().objects.get(pk=user_id)
    posts = Post.objects.filter(pk__in=post_ids).order_by("pk")
    return bulk_tags.change_tags(posts, by=user, add=add, remove=remove, message=message).summary()
