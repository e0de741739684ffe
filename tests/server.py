"""The real server for the tests that go where readers go: gunicorn serving `vdwiki.wsgi` in a
process of its own, over the test database, as production runs it (DEBUG off, static files
collected, gunicorn.conf.py); or Django's runserver, as `make run` does.

The server sees what a test has committed: tests using it take `transactional_db` (or a
module-scoped setup that commits and flushes). On SQLite the test database is then a file
(conftest.py). In the PostgreSQL pass (DATABASE_URL set) the server caches in a Redis database of
its own, which it starts with empty; otherwise in its own local memory.
"""

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import redis
from django.conf import settings
from django.db import connection

from deploy.local import running_nginx, stop

REDIS_DB = 13  # test_cache.py's Redis tests use 15
SHARED_REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
# Test servers run side by side: none takes the one control socket gunicorn makes in the home directory.
GUNICORN = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "--no-control-socket", "vdwiki.wsgi"]
STARTUP_SECONDS = 30
SECRET_KEY = "a-key-for-the-test-server-only"  # what a test signs for the server (a preview link) uses it too


@dataclass(frozen=True)
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()


@dataclass
class Server:
    host: str
    port: int
    log: Path
    log_mark: int = field(default=0)

    def get(
        self,
        target: str | bytes,
        *,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        source: str | None = None,
    ) -> Answer:
        """Send `target` as the request line's bytes: a str is sent as UTF-8, unencoded, as a
        browser pasting a legacy URL or a crawler might. `source`: the loopback address to send
        from (any of 127.0.0.0/8), for a client elsewhere."""
        raw = target if isinstance(target, bytes) else target.encode()
        lines = [f"{method} ".encode() + raw + b" HTTP/1.1", f"Host: {self.host}:{self.port}".encode()]
        lines += [f"{name}: {value}".encode() for name, value in (headers or {}).items()]
        if body:
            lines.append(f"Content-Length: {len(body)}".encode())
        source_address = (source, 0) if source else None
        with socket.create_connection((self.host, self.port), timeout=30, source_address=source_address) as sock:
            sock.sendall(b"\r\n".join([*lines, b"Connection: close", b"", b""]) + body)
            response = http.client.HTTPResponse(sock, method=method)
            response.begin()
            return Answer(response.status, response.headers, response.read())

    def mark_log(self) -> None:
        self.log_mark = self.log.stat().st_size

    def log_since_mark(self) -> str:
        with self.log.open("rb") as log:
            log.seek(self.log_mark)
            return log.read().decode(errors="replace")


def percent_encoded(path: str) -> str:
    """`path` with everything outside ASCII letters, digits and URL syntax percent-encoded."""
    return quote(path, safe="/?=&+%")


def database_url() -> str:
    """The test database (set up by pytest-django) as the server's DATABASE_URL."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"], safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def uses_redis() -> bool:
    return "DATABASE_URL" in os.environ


@contextmanager
def running_server(
    workdir: Path,
    static_root: Path,
    *,
    runserver: bool = False,
    media_root: Path | None = None,
    shared_cache: bool = False,
) -> Iterator[Server]:
    """gunicorn (or Django's runserver, which `make run` uses) on a free loopback port until the
    block ends, its output in a log file in `workdir`; the static files are collected into
    `static_root` unless they are there already. Servers given `shared_cache` (and every server in
    the PostgreSQL pass) cache in one Redis database, emptied as each starts."""
    port = _free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "server.log"
    env = {
        **{name: value for name, value in os.environ.items() if name != "REDIS_URL"},
        "DJANGO_SETTINGS_MODULE": "vdwiki.settings",
        "DATABASE_URL": database_url(),
        "DJANGO_CONN_MAX_AGE": "0",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_STATIC_ROOT": str(static_root),
        "MEDIA_ROOT": str(media_root or workdir / "media"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "4",
        "GUNICORN_ACCESSLOG": "",
    }
    if uses_redis() or shared_cache:
        env["REDIS_URL"] = SHARED_REDIS_URL
        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    if not static_root.exists():
        manage = [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"]
        subprocess.run(manage, cwd=settings.BASE_DIR, env=env, check=True)
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"] if runserver else GUNICORN,
            cwd=settings.BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = Server("127.0.0.1", port, log)
    try:
        _wait_until_it_answers(server, process)
        yield server
    finally:
        stop(process)


@contextmanager
def running_front(workdir: Path, servers: list[Server], static_root: Path, media_root: Path) -> Iterator[Server]:
    """deploy/nginx/vdwiki.conf on a free loopback port in front of `servers` until the block ends."""
    port = _free_port()
    app_servers = [f"{server.host}:{server.port}" for server in servers]
    with running_nginx(workdir, port=port, app_servers=app_servers, static_root=static_root, media_root=media_root):
        yield Server("127.0.0.1", port, workdir / "error.log")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_it_answers(server: Server, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"The server exited with {process.returncode}:\n{server.log.read_text()}")
        try:
            answer = server.get("/robots.txt")
        except OSError:
            time.sleep(0.1)
            continue
        if answer.status != 200:
            raise RuntimeError(f"The server answered {answer.status} for /robots.txt:\n{server.log.read_text()}")
        return
    raise RuntimeError(f"The server did not answer within {STARTUP_SECONDS} s:\n{server.log.read_text()}")
