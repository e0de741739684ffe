"""The WSGI application gunicorn serves (gunicorn.conf.py): Django, with cached pages answered
in front of it (posts/cache.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vdwiki.settings")

application = get_wsgi_application()

from posts.cache import serve_cached_pages  # noqa: E402  (needs the settings and apps loaded above)

application = serve_cached_pages(application)
