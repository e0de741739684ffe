"""`kill -9` during an import: running it again to the end leaves the database as an import
that was never interrupted does.

The import (`manage.py import_dump`, with its parsing processes) runs as a process group on a
database other processes can open (a SQLite file, or a PostgreSQL database of its own when
DATABASE_URL names one), and is killed at random moments. What is compared is
`databases.content_fingerprint()`: every row the import writes, with the ids the database
handed out replaced by what they stand for, and the moments of writing (created/updated, the
live revision's time in the stored article) and the run a row was written by left out. The
runs themselves (ImportRun) differ too, rightly: the killed run is one more.
"""

import os
import random
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings

from bench.dumps import build_dump
from posts.models import ImportRun, Post

from .databases import SharedDatabase, content_fingerprint, fingerprint

POSTS = 2000
KILLS = 10


@pytest.fixture
def shared_database(django_db_setup, django_db_blocker, tmp_path):
    with django_db_blocker.unblock():
        database = SharedDatabase(tmp_path)
        try:
            yield database
        finally:
            database.close()


def import_process(database: SharedDatabase, dump) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database.url, "DJANGO_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "manage.py", "import_dump", str(dump), "--no-progress"]
    return subprocess.Popen(
        command, cwd=settings.BASE_DIR, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def differing_rows(found: dict[str, list], expected: dict[str, list], shown: int = 5) -> dict[str, dict]:
    """Per table that differs, a few of the rows found but not expected and expected but not found
    (the whole fingerprint is too long for a failure message to show where it differs)."""
    differences = {}
    for table in sorted(found.keys() | expected.keys()):
        extra = sorted(set(found.get(table, [])) - set(expected.get(table, [])))
        missing = sorted(set(expected.get(table, [])) - set(found.get(table, [])))
        counted = len(found.get(table, [])) != len(expected.get(table, []))
        if extra or missing or counted:
            differences[table] = {
                "extra": extra[:shown],
                "missing": missing[:shown],
                "rows": (len(found.get(table, [])), len(expected.get(table, []))),
            }
    return differences


def import_to_the_end(database: SharedDatabase, dump) -> float:
    """Import the dump; return how long the import ran once started (the process's start aside)."""
    process = import_process(database, dump)
    started = import_started()
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, (out.decode(), err.decode())
    return time.monotonic() - started


def import_started() -> float:
    """The moment an import process just launched has started its run (Python and Django loaded,
    which take a time that varies with the machine's load), polled for."""
    before = ImportRun.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    deadline = time.monotonic() + 120
    while not ImportRun.objects.filter(pk__gt=before).exists():
        assert time.monotonic() < deadline, "the import did not start"
        time.sleep(0.005)
    return time.monotonic()


@pytest.mark.django_db(transaction=True)  # the test database exists, to be copied
def test_an_import_killed_at_random_moments_and_run_again_ends_as_one_never_interrupted(shared_database, tmp_path):
    dump = tmp_path / "dump"
    build_dump(dump, POSTS)
    seed = int(os.environ.get("VDWIKI_CRASH_SEED", random.randrange(10**6)))
    moments = random.Random(seed)
    shared_database.open()
    duration = import_to_the_end(shared_database, dump)
    expected = content_fingerprint()
    assert len(expected["posts_post"]) == POSTS
    untouched = {table: rows for table, rows in fingerprint().items() if not table.startswith(("posts_", "taggit_"))}

    interrupted = 0
    for kill in range(KILLS):
        shared_database.open()
        process = import_process(shared_database, dump)
        import_started()
        time.sleep(moments.uniform(0.05, 0.95) * duration)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        written = Post.objects.count()

        import_to_the_end(shared_database, dump)

        differences = differing_rows(content_fingerprint(), expected)
        assert not differences, f"kill {kill} after {written} posts (VDWIKI_CRASH_SEED={seed}): {differences}"
        assert {t: rows for t, rows in fingerprint().items() if t in untouched} == untouched
        assert ImportRun.objects.latest("pk").succeeded
        interrupted += int(0 < written < POSTS)
    assert interrupted >= KILLS // 2, f"only {interrupted} kills fell within the import (VDWIKI_CRASH_SEED={seed})"
