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


def import_to_the_end(database: SharedDatabase, dump) -> float:
    started = time.monotonic()
    process = import_process(database, dump)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, (out.decode(), err.decode())
    return time.monotonic() - started


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
        time.sleep(moments.uniform(0.05, 0.95) * duration)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        written = Post.objects.count()

        import_to_the_end(shared_database, dump)

        assert content_fingerprint() == expected, f"kill {kill} after {written} posts (VDWIKI_CRASH_SEED={seed})"
        assert {t: rows for t, rows in fingerprint().items() if t in untouched} == untouched
        assert ImportRun.objects.latest("pk").succeeded
        interrupted += int(0 < written < POSTS)
    assert interrupted >= KILLS // 2, f"only {interrupted} kills fell within the import (VDWIKI_CRASH_SEED={seed})"
