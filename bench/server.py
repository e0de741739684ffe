"""What the serving benchmarks share: a PostgreSQL database holding a big dump, gunicorn over it,
and wrk's figures."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from dumps import ROOT, build_dump, run

PORT = 8123
REDIS_URL = "redis://127.0.0.1:6379/14"
WRK_REPORT = ROOT / "bench" / "wrk_report.lua"


def psql(sql: str, database: str = "postgres") -> None:
    command = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-qc", sql]
    subprocess.run(command, check=True, capture_output=True)


def need_wrk(script: str) -> None:
    if shutil.which("wrk") is None:
        sys.exit(f"{script} needs wrk: apt-get install wrk")


def environment(work: Path, database: str, *, cache_pages: bool) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SETTINGS_MODULE": "vdwiki.settings",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_CACHE_PAGES": "1" if cache_pages else "0",
        "REDIS_URL": REDIS_URL,
        "MEDIA_ROOT": str(work / "media"),
        "DJANGO_STATIC_ROOT": str(work / "static"),
        "GUNICORN_BIND": f"127.0.0.1:{PORT}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_ACCESSLOG": "",
    }


@contextmanager
def imported_database(work: Path, database: str, posts: int):
    """A fresh PostgreSQL database `database` holding `posts` posts made from the corpus, as a
    running site has it (vacuumed, static files collected); dropped on the way out."""
    psql(f"DROP DATABASE IF EXISTS {database}")
    psql(f"CREATE DATABASE {database}")
    try:
        build_dump(work / "dump", posts)
        env = environment(work, database, cache_pages=False)
        manage = [sys.executable, "manage.py"]
        run([*manage, "migrate", "--noinput", "-v", "0"], env)
        run([*manage, "import_dump", str(work / "dump"), "--no-progress"], env)
        # The state a running site is in: autovacuum has passed over the new rows.
        psql("VACUUM ANALYZE", database=database)
        run([*manage, "collectstatic", "--noinput", "-v", "0"], env)
        yield
    finally:
        psql(f"DROP DATABASE IF EXISTS {database}")


@contextmanager
def gunicorn(env: dict, log: Path, *, root: Path = ROOT):
    """gunicorn on the vdwiki.wsgi of the checkout at `root`, at the address env["GUNICORN_BIND"],
    once it answers, its messages written to `log` (a pipe nobody reads would stop the workers
    once full)."""
    with log.open("ab") as errors:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "vdwiki.wsgi"], cwd=root, env=env,
            stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True,
        )  # fmt: skip
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://{env['GUNICORN_BIND']}/", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        else:
            sys.exit(f"gunicorn did not start:\n{log.read_text()}")
        yield server
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def wrk(url: str, *, duration: int, connections: int, script: Path = WRK_REPORT, args: tuple = ()) -> dict:
    """wrk's figures for `url`: req/s, p50/p95/p99 in ms, and `bad`, the answers that were not
    1xx-3xx plus socket errors and time-outs."""
    threads = min(2, connections)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "5s", "-s", str(script), url]
    if args:
        command += ["--", *args]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    match = re.search(r"^RESULT (\S+) (\S+) (\S+) (\S+) (\d+) (\d+)$", result.stdout, re.MULTILINE)
    rps, p50, p95, p99, bad, errors = match.groups()
    return {"rps": float(rps), "p50": float(p50), "p95": float(p95), "p99": float(p99), "bad": int(bad) + int(errors)}
