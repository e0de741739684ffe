"""deploy/nginx/vdwiki.conf run locally: by `make serve`, the tests and the benchmarks.

The shipped file is used as it is, with only its "site:" values replaced (upstream servers, paths,
port), inside a small main configuration that keeps nginx's logs, temporary files and cache in a
directory of our own, so it runs without root beside any system nginx.
"""

import getpass
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent
SITE_CONFIG = DEPLOY / "nginx" / "vdwiki.conf"
NGINX = "/usr/sbin/nginx"
JS_MODULE = "/usr/lib/nginx/modules/ngx_http_js_module.so"
STARTUP_SECONDS = 10

MAIN_CONFIG = """\
{user}
load_module {js_module};
worker_processes {workers};
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    access_log {access_log};
    client_body_temp_path {workdir}/client_body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
{site}
}}
"""


def site_config(*, port: int, app_servers: Sequence[str], static_root: Path, media_root: Path, cache: Path) -> str:
    """vdwiki.conf with its "site:" values replaced; each must be found exactly once."""
    text = SITE_CONFIG.read_text()
    upstreams = "\n    ".join(f"server {address};" for address in app_servers)
    for pattern, value in [
        (r'js_path "[^"]*";', f'js_path "{DEPLOY / "nginx"}/";'),
        (r"server 127\.0\.0\.1:8000;", upstreams),
        (r"proxy_cache_path \S+", f"proxy_cache_path {cache}"),
        (r"listen 80;", f"listen 127.0.0.1:{port};"),
        (r"alias /srv/vdwiki/staticfiles/;", f"alias {static_root}/;"),
        (r"alias /srv/vdwiki/media/attachments/;", f"alias {media_root}/attachments/;"),
    ]:
        text, found = re.subn(pattern, lambda _match, value=value: value, text)
        if found != 1:
            raise ValueError(f"{SITE_CONFIG} should hold {pattern!r} once; it holds it {found} times")
    return text


def main_config(workdir: Path, site: str, *, workers: int = 1, access_log: bool = False) -> str:
    return MAIN_CONFIG.format(
        # As root, nginx's workers would run as "nobody", who cannot read a private working directory.
        user=f"user {getpass.getuser()};" if os.geteuid() == 0 else "",
        js_module=JS_MODULE,
        workers=workers,
        workdir=workdir,
        access_log=f"{workdir}/access.log" if access_log else "off",
        site="\n".join(f"    {line}" if line else "" for line in site.splitlines()),
    )


@contextmanager
def running_nginx(
    workdir: Path,
    *,
    port: int,
    app_servers: Sequence[str],
    static_root: Path,
    media_root: Path,
    workers: int = 1,
    access_log: bool = False,
) -> Iterator[str]:
    """nginx with vdwiki.conf in front of `app_servers` until the block ends; yields its base URL."""
    workdir.mkdir(parents=True, exist_ok=True)
    site = site_config(
        port=port, app_servers=app_servers, static_root=static_root, media_root=media_root, cache=workdir / "cache"
    )
    config = workdir / "nginx.conf"
    config.write_text(main_config(workdir, site, workers=workers, access_log=access_log))
    command = [NGINX, "-p", str(workdir), "-c", str(config), "-e", str(workdir / "error.log")]
    subprocess.run([*command, "-t", "-q"], check=True, capture_output=True)
    process = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_it_listens(base, process, workdir / "error.log")
        yield base
    finally:
        stop(process)


def stop(process: subprocess.Popen, seconds: float = 10) -> None:
    """Ask `process` to stop; kill it if it has not within `seconds`."""
    process.terminate()
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_until_it_listens(base: str, process: subprocess.Popen, error_log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited with {process.returncode}:\n{error_log.read_text()}")
        try:
            urllib.request.urlopen(f"{base}/static/", timeout=1)
        except urllib.error.HTTPError:
            return  # it answers (404 for the directory itself)
        except OSError:
            time.sleep(0.05)
            continue
        return
    raise RuntimeError(f"nginx did not listen within {STARTUP_SECONDS} s:\n{error_log.read_text()}")
