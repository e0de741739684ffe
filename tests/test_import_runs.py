"""An import run's progress and its end (posts/import_runs.py): a run silent for longer than the
limit is failed, by the page that shows it or by the task worker."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from posts import import_runs
from posts.models import ImportRun

from .factories import make_user
from .test_tasks import UPLOAD, run_worker, seed_zip


@pytest.mark.django_db
def test_a_run_silent_for_longer_than_the_limit_is_shown_and_stored_as_failed_and_the_worker_fails_it_too(client):
    client.force_login(make_user("Admin", "chief"))
    silent = ImportRun.objects.create(source="killed.zip", heartbeat=timezone.now(), files_total=10, files_done=4)
    page = f"/admin/posts/importrun/{silent.pk}/change/"
    assert "4 of 10 files done" in client.get(page).content.decode()

    with time_machine.travel(timezone.now() + timedelta(seconds=settings.VDWIKI_IMPORT_STALE_AFTER + 1), tick=False):
        assert silent.state == ImportRun.State.FAILED
        client.post(UPLOAD, {"dump": SimpleUploadedFile("next.zip", seed_zip())})
        silent.refresh_from_db()
        assert silent.finished is None  # nobody has looked yet: the page and the worker fail it
        run_worker()
        silent.refresh_from_db()
        assert (silent.finished, silent.succeeded) == (timezone.now(), False)
        assert import_runs.ABANDONED in client.get(page).content.decode()
        assert "Done, with failures" in client.get("/admin/posts/importrun/").content.decode()


@pytest.mark.django_db
def test_the_import_runs_page_fails_a_silent_run_when_shown(client):
    client.force_login(make_user("Admin", "chief"))
    silent = ImportRun.objects.create(source="killed.zip", heartbeat=timezone.now() - timedelta(hours=1))

    client.get("/admin/posts/importrun/")

    silent.refresh_from_db()
    assert silent.succeeded is False and silent.report == {"aborted": import_runs.ABANDONED}
