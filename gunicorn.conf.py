"""Gunicorn for production: `gunicorn vdwiki.wsgi` reads this file from the working directory.

Every value can be overridden from the environment (GUNICORN_*), e.g. GUNICORN_WORKERS=4.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
# Threads keep connections alive behind a proxy and overlap database waits; the app is thread-safe.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
keepalive = 5
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 5000))
max_requests_jitter = 500
preload_app = True
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = "-"
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
