"""`make serve`: the site as production runs it, on this machine. nginx with deploy/nginx/vdwiki.conf
in front of gunicorn (gunicorn.conf.py, DEBUG off), the task worker beside them, the page cache in
the local Redis; until Ctrl-C."""

import argparse
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from deploy.local import running_nginx

BASE = Path(__file__).resolve().parent.parent
RUN = BASE / ".serve"  # nginx's files, and a secret key kept between runs so sessions survive


def environment(app_port: int) -> dict[str, str]:
    secret = RUN / "secret-key"
    if not secret.exists():
        secret.write_text(secrets.token_urlsafe(50))
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "vdwiki.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secret.read_text(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Plain HTTP on loopback: no redirect to HTTPS, no HSTS pinned in the browser.
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1"),
        "GUNICORN_BIND": f"127.0.0.1:{app_port}",
        "GUNICORN_WORKERS": os.environ.get("GUNICORN_WORKERS", "2"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000, help="where nginx listens")
    parser.add_argument("--app-port", type=int, default=8001, help="where gunicorn listens, behind nginx")
    arguments = parser.parse_args()
    RUN.mkdir(exist_ok=True)
    env = environment(arguments.app_port)
    python = sys.executable
    subprocess.run([python, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=BASE, env=env, check=True)
    static_root = Path(env.get("DJANGO_STATIC_ROOT", BASE / "staticfiles"))
    media_root = Path(env.get("MEDIA_ROOT", BASE / "media"))
    app = subprocess.Popen([python, "-m", "gunicorn", "--no-control-socket", "vdwiki.wsgi"], cwd=BASE, env=env)
    worker = subprocess.Popen([python, "manage.py", "db_worker", "--no-reload", "--verbosity", "0"], cwd=BASE, env=env)
    try:
        _wait_for(arguments.app_port)
        with running_nginx(
            RUN / "nginx",
            port=arguments.port,
            app_servers=[f"127.0.0.1:{arguments.app_port}"],
            static_root=static_root,
            media_root=media_root,
            workers=2,
            access_log=True,
        ) as base:
            print(f"Serving on {base}/  (admin: {base}/admin/): nginx, gunicorn on :{arguments.app_port}, task worker")
            print(f"nginx's logs: {RUN / 'nginx'}/access.log, error.log. Ctrl-C stops all three.", flush=True)
            while True:
                time.sleep(3600)
    finally:
        for process in (app, worker):
            process.terminate()
        for process in (app, worker):
            process.wait()


def _wait_for(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"gunicorn did not listen on 127.0.0.1:{port} within {seconds} s")


def _stop(_signal, _frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    for stop in (signal.SIGINT, signal.SIGTERM):  # SIGINT too: a shell's background jobs ignore it
        signal.signal(stop, _stop)
    with contextlib.suppress(KeyboardInterrupt):
        main()
