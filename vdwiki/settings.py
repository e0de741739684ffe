"""vdwiki settings, read from the environment (see README.md for every variable)."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "django-insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "posts.apps.SiteAdminConfig",  # django.contrib.admin, its site the dashboard's (posts/admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "taggit",
    "markdownx",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "posts",
]

MIDDLEWARE = [
    "posts.cache.PageCacheMiddleware",  # first: it keeps pages with every header the others add
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "posts.middleware.NulCharacterMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "posts.middleware.LegacyRedirectMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "vdwiki.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],  # the admin's own look (admin/base_site.html)
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "posts.context_processors.site_links",
            ],
        },
    },
]

WSGI_APPLICATION = "vdwiki.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent readers while an import writes; one connection per request is plenty.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Logins throttled by django-axes: after DJANGO_LOGIN_FAILURE_LIMIT failures for one user name from
# one address, that pair is locked out for DJANGO_LOGIN_COOLOFF_MINUTES, or until an Admin deletes
# its row in the admin's "Access attempts". The address is the client's as the app server sees it,
# or as the proxy in front saw it when the request comes from one of DJANGO_TRUSTED_PROXIES.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = int(os.environ.get("DJANGO_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("DJANGO_LOGIN_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "posts.lockout.locked_out"
AXES_CLIENT_IP_CALLABLE = "posts.lockout.client_address"
VDWIKI_TRUSTED_PROXIES = env_list("DJANGO_TRUSTED_PROXIES", "127.0.0.1,::1")
AXES_VERBOSE = False

# Content-Security-Policy on every response (django-csp): scripts only from the site's own files,
# no plugins, no framing. Inline style attributes stay allowed: post bodies keep the sanitizer's
# safe styles. Images may come from any https host (the legacy CDN, object storage).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "https:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = os.environ.get("DJANGO_MEDIA_URL", "/media/")
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))


def media_storage(environ) -> dict:
    """Where attachments (and the admin's uploaded dumps, under private/) are stored:
    DJANGO_MEDIA_STORAGE=s3 for S3-compatible object storage (django-storages), else MEDIA_ROOT.
    django-storages and boto3 read the keys (AWS_ACCESS_KEY_ID, ...) from the environment."""
    kind = environ.get("DJANGO_MEDIA_STORAGE", "filesystem")
    if kind == "filesystem":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if kind != "s3":
        raise ImproperlyConfigured(f"DJANGO_MEDIA_STORAGE is 'filesystem' or 's3', not {kind!r}.")
    if not environ.get("AWS_STORAGE_BUCKET_NAME"):
        raise ImproperlyConfigured("DJANGO_MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": environ["AWS_STORAGE_BUCKET_NAME"],
            "endpoint_url": environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": environ.get("AWS_S3_REGION_NAME") or None,
            "custom_domain": environ.get("AWS_S3_CUSTOM_DOMAIN") or None,
            # Rendered posts keep their attachments' URLs: an expiring signature would break them.
            # Readers reach attachments/ through the bucket's policy (or the CDN); private/ stays private.
            "querystring_auth": False,
            # A name once stored keeps its bytes, as on disk: stored pages and old revisions link
            # by name, and a CDN may keep a copy. A taken name gets a suffix instead.
            "file_overwrite": False,
        },
    }


STORAGES = {
    "default": media_storage(os.environ),
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Whole public pages are cached for anonymous readers (posts/cache.py); 0 turns it off.
VDWIKI_CACHE_PAGES = env_bool("DJANGO_CACHE_PAGES", True)

TAGGIT_CASE_INSENSITIVE = True

MARKDOWNX_MARKDOWNIFY_FUNCTION = "posts.models.preview_html"
MARKDOWNX_UPLOAD_MAX_SIZE = 10 * 1024 * 1024
MARKDOWNX_UPLOAD_CONTENT_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"]
MARKDOWNX_MEDIA_PATH = "attachments/uploads/"
MARKDOWNX_EDITOR_RESIZABLE = False  # the edit page's editor has a fixed height and scrolls inside

LOGIN_URL = "admin:login"

# The workflow's e-mail (posts/workflow/mail.py): printed on the console unless a backend is set.
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "vdwiki <noreply@localhost>")
# How long a shared preview link of a draft works (posts/previews.py).
VDWIKI_PREVIEW_MAX_AGE = int(float(os.environ.get("DJANGO_PREVIEW_LINK_DAYS", "7")) * 86400)
# How much one post may hold (posts/limits.py): the corpus's longest body is 42,799 characters, its
# deepest HTML 7 elements, its most tags 63. bench/render.py times the worst within them.
VDWIKI_MAX_BODY_CHARS = int(os.environ.get("DJANGO_MAX_BODY_CHARS", "200000"))
VDWIKI_MAX_HTML_DEPTH = int(os.environ.get("DJANGO_MAX_HTML_DEPTH", "100"))
VDWIKI_MAX_TAGS = int(os.environ.get("DJANGO_MAX_TAGS", "200"))

# An import whose process gave no sign of life for this long was killed: it is marked failed.
VDWIKI_IMPORT_STALE_AFTER = int(os.environ.get("DJANGO_IMPORT_STALE_AFTER", "300"))
# The admin's imports run as tasks (posts/tasks.py), done by `manage.py db_worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Where the site is reached from outside, for the links in e-mail.
VDWIKI_SITE_URL = os.environ.get("DJANGO_SITE_URL", "http://127.0.0.1:8000")
# The addresses not found (404) kept for the admin, the least asked for forgotten beyond it.
VDWIKI_NOT_FOUND_KEPT = int(os.environ.get("DJANGO_NOT_FOUND_KEPT", "20000"))
# The site's name, in the admin's header and titles.
VDWIKI_SITE_NAME = os.environ.get("DJANGO_SITE_NAME", "VitaminDWiki")
# Categories made hidden from readers when they are made (by the import, say); the admin changes it.
VDWIKI_HIDDEN_CATEGORIES = [
    name.strip() for name in os.environ.get("DJANGO_HIDDEN_CATEGORIES", "Admin Only").split(",") if name.strip()
]

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}
