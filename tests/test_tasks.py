"""The admin's imports run as background tasks: the upload queues a run, the task worker does it,
the run's page follows it; hostile front matter fails its own file only; a killed worker's run
ends failed, not "running" for ever (test_import_runs.py: a run gone silent)."""

import io
import os
import signal
import time
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from bench.dumps import build_dump
from posts import import_runs
from posts.models import ImportRun, Post, PostAction

from .conftest import CORPUS_SEED
from .databases import wait_for, worker_process
from .factories import make_user

UPLOAD = "/admin/posts/importrun/upload/"
SEED_FILES = sorted(CORPUS_SEED.glob("*.md"))
BILLION_LAUGHS = (  # 408 bytes of YAML that expand to 9**9 strings
    "---\n"
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
    "---\n\nbody\n"
)
HOSTILE = {
    "deep-json.md": ('{"title": "x", "date": "2024-01-01", "deep": ' + "[" * 5000 + "]" * 5000 + "}\n\nbody\n", "deep"),
    "deep-yaml.md": ("---\ntitle: x\ndeep: " + "[" * 5000 + "]" * 5000 + "\n---\n\nbody\n", "deep"),
    "deep-toml.md": ('+++\ntitle = "x"\ndeep = ' + "[" * 5000 + "]" * 5000 + "\n+++\n\nbody\n", "deep"),
    "self-alias.md": ("---\nx: &a [*a]\n---\n\nbody\n", "x"),
    "billion-laughs.md": (BILLION_LAUGHS, "a"),
}


def zipped(files: dict[str, bytes | str]) -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return data.getvalue()


def seed_zip() -> bytes:
    return zipped({path.name: path.read_bytes() for path in SEED_FILES})


def run_worker() -> None:
    """The task worker's own way of running a task, in this process, for each task queued.
    (Its loop closes the database connection it finds inside a transaction: the test's.)"""
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="in-process",
        excluded_queue_names=[],
    )
    while queued := DBTaskResult.objects.ready().first():
        queued.claim(worker.worker_id)
        worker.run_task(queued)


def uploads_left() -> list:
    return [path for path in (settings.MEDIA_ROOT / "private").rglob("*") if path.is_file()]


@pytest.mark.django_db
def test_an_upload_is_queued_then_the_worker_imports_it_and_its_page_shows_the_report(client, media_root):
    admin = make_user("Admin", "chief")
    client.force_login(admin)

    response = client.post(UPLOAD, {"dump": SimpleUploadedFile("dump.zip", seed_zip())})

    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admin/posts/importrun/{run.pk}/change/"
    page = client.get(response["Location"]).content.decode()
    assert "Waiting for the import worker" in page
    assert '<meta http-equiv="refresh" content="2">' in page
    assert Post.objects.count() == 0 and len(uploads_left()) == 1

    run_worker()

    run.refresh_from_db()
    assert (run.state, run.files_done, run.files_total) == (ImportRun.State.SUCCEEDED, 2, 2)
    page = client.get(response["Location"]).content.decode()
    assert "Import of dump.zip: done" in page and "2 created, 0 updated" in page
    assert 'http-equiv="refresh"' not in page
    assert Post.objects.count() == 2
    assert uploads_left() == []
    actions = PostAction.objects.values_list("action", "user", "import_run")
    assert sorted(actions) == [("create", admin.pk, run.pk)] * 2


@pytest.mark.django_db
def test_hostile_front_matter_fails_only_its_own_file_and_the_run_finishes(client):
    client.force_login(make_user("Admin", "chief"))
    files = {name: text for name, (text, _field) in HOSTILE.items()} | {SEED_FILES[0].name: SEED_FILES[0].read_bytes()}
    client.post(UPLOAD, {"dump": SimpleUploadedFile("hostile.zip", zipped(files))})

    started = time.monotonic()
    run_worker()

    assert time.monotonic() - started < 10
    run = ImportRun.objects.get()
    assert run.state == ImportRun.State.FAILED and run.finished is not None
    failed = {item["file"]: item for item in run.report["failed"]}
    assert set(failed) == set(HOSTILE)
    for name, (_text, field) in HOSTILE.items():
        assert failed[name]["field"] == field, failed[name]
        assert failed[name]["message"].startswith(f"{name}, field {field!r}, line "), failed[name]
    assert "nested more than 32 levels deep" in failed["deep-toml.md"]["message"]
    assert "anchors and aliases (&name, *name) are not accepted" in failed["billion-laughs.md"]["message"]
    assert run.report["created"] == [Post.objects.get().slug]


# --- A real worker process -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # the test database exists, to be copied
def test_a_db_worker_process_does_a_queued_import(shared_database, media_root):
    client = Client()
    client.force_login(make_user("Admin", "chief"))
    client.post(UPLOAD, {"dump": SimpleUploadedFile("dump.zip", seed_zip())})
    run = ImportRun.objects.get()

    worker = worker_process(shared_database)
    try:
        wait_for(lambda: ImportRun.objects.get().finished is not None, 60)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(10)

    run.refresh_from_db()
    assert run.state == ImportRun.State.SUCCEEDED and run.report["summary"]["created"] == 2
    assert Post.objects.count() == 2
    assert uploads_left() == []


@pytest.mark.django_db(transaction=True)  # the test database exists, to be copied
def test_a_worker_killed_during_an_import_leaves_its_run_failed(shared_database, media_root, tmp_path):
    build_dump(tmp_path / "big", 1500)
    dump = io.BytesIO()
    with zipfile.ZipFile(dump, "w") as archive:
        for path in sorted((tmp_path / "big").iterdir()):
            archive.write(path, path.name)
    client = Client()
    client.force_login(make_user("Admin", "chief"))
    client.post(UPLOAD, {"dump": SimpleUploadedFile("big.zip", dump.getvalue())})
    run = ImportRun.objects.get()
    page = f"/admin/posts/importrun/{run.pk}/change/"

    worker = worker_process(shared_database)
    try:
        wait_for(lambda: ImportRun.objects.get().files_done > 0, 120)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)

    run.refresh_from_db()
    assert run.finished is None and 0 < run.files_done < 1500
    assert "files done" in client.get(page).content.decode()
    with time_machine.travel(run.heartbeat + timedelta(seconds=settings.VDWIKI_IMPORT_STALE_AFTER + 1)):
        shown = client.get(page).content.decode()
    assert import_runs.ABANDONED in shown
    run.refresh_from_db()
    assert run.finished is not None and run.succeeded is False
