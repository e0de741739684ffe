import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from .databases import SharedDatabase
from .factories import PASSWORD, make_role_groups
from .server import Server, running_server

CORPUS = Path(os.environ.get("VDWIKI_CORPUS", Path(settings.BASE_DIR).parent / "shared" / "corpus"))
CORPUS_POSTS = CORPUS / "posts"
CORPUS_SEED = CORPUS / "seed"
SEED_SLUG = "recurrent-miscarriages-decreased-by-increased-vitamin-d-levels"
SCREENSHOTS = Path(settings.BASE_DIR) / "test-results"  # saved by the browser tests, to be looked at
CORPUS_FILES = sorted([*CORPUS_POSTS.glob("*.md"), *CORPUS_SEED.glob("*.md")])
if not CORPUS_FILES:  # else every test over the corpus would be collected as "skipped", and CI stay green
    raise pytest.UsageError(f"No corpus at {CORPUS}: set VDWIKI_CORPUS to the directory holding posts/ and seed/.")


@pytest.fixture
def corpus_dump(tmp_path):
    """The whole corpus (posts and seed) as one dump directory."""
    dump = tmp_path / "dump"
    dump.mkdir()
    for source in CORPUS_FILES:
        (dump / source.name).write_bytes(source.read_bytes())
    return dump


@pytest.fixture
def seed(db):
    """The seed post of the corpus (a real legacy post, with its legacy aliases), imported."""
    from posts.legacy.importer import import_dump
    from posts.models import Post

    import_dump(CORPUS_SEED)
    return Post.objects.get(slug=SEED_SLUG)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite the test database is a file, which the test server's process (server.py) opens too."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("database") / "test.sqlite3")


@pytest.fixture
def shared_database(django_db_setup, django_db_blocker, tmp_path):
    """The test database copied where other processes (a task worker) open it too (databases.py)."""
    with django_db_blocker.unblock():
        database = SharedDatabase(tmp_path)
        database.open()
        try:
            yield database
        finally:
            database.close()


@pytest.fixture(scope="session")
def server_static(tmp_path_factory):
    """Where test servers find the static files, collected once."""
    return tmp_path_factory.getbasetemp() / "static"


@pytest.fixture
def server(transactional_db, tmp_path, server_static) -> Server:
    """gunicorn serving vdwiki.wsgi over the test database (server.py), fresh for the test: the
    test commits its data, and the server's page cache starts empty."""
    with running_server(tmp_path, server_static) as server:
        yield server


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test using a test server shows what the server wrote (its errors) meanwhile."""
    report = yield
    servers = {id(value): value for value in getattr(item, "funcargs", {}).values() if isinstance(value, Server)}
    if report.failed:
        for server in servers.values():
            report.sections.append((f"server on port {server.port}", server.log_since_mark()))
    return report


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with no cached pages (the database is rolled back between tests, the cache
    is not)."""
    cache.clear()


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def roles():
    """The role groups, as the migrations make them."""
    make_role_groups()


CHROMIUM = "/usr/bin/chromium"
# In every page and frame, before its own scripts: report each Content-Security-Policy violation.
REPORT_CSP_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (event) => {
    window.__reportCspViolation(`${event.violatedDirective} blocked ${event.blockedURI || "inline code"}`
        + ` at ${event.sourceFile || document.URL}:${event.lineNumber}`);
}, true);"""


class CspCheckedBrowser:
    """The browser, each of whose contexts records the Content-Security-Policy violations of its
    pages: reported by the page (securitypolicyviolation) or logged by Chromium ("Refused to...")."""

    def __init__(self, browser):
        self.browser = browser
        self.violations: list[str] = []

    def new_context(self, **options):
        context = self.browser.new_context(**options)
        context.expose_binding("__reportCspViolation", lambda source, text: self.violations.append(text))
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.on("console", self._console)
        return context

    def new_page(self, **options):
        return self.new_context(**options).new_page()

    def _console(self, message):
        if message.text.startswith("Refused to"):
            self.violations.append(message.text)

    def __getattr__(self, name):
        return getattr(self.browser, name)


@pytest.fixture(autouse=True)
def no_csp_violations(request):
    """A browser test fails on any Content-Security-Policy violation in any of its pages."""
    if request.node.get_closest_marker("browser") is None:
        yield
        return
    browser = request.getfixturevalue("browser")
    browser.violations.clear()
    yield
    assert browser.violations == [], "Content-Security-Policy violations"


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (its own browser download cannot work here), every
    page of which is checked for Content-Security-Policy violations (`no_csp_violations`)."""
    # Playwright's sync API runs an event loop in this thread; the ORM calls in these tests are
    # ordinary synchronous ones, made between browser steps.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield CspCheckedBrowser(browser)
        browser.close()


def log_in(page, username: str, next_url: str = "/admin/") -> None:
    """Log in as `username` (PASSWORD) through the login page, ending at `next_url`."""
    if "/login/" not in page.url:
        page.goto(f"/admin/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"**{next_url}")


@pytest.fixture
def open_as(browser, live_server):
    """`open_as(username, width)`: a page of a new browser context `width` px wide (or of
    `context`), logged in as `username` through the login form (no one for None). Its clipboard
    may be read and written, as a person lets a site do to copy a link."""
    contexts = []

    def open_as(username: str | None, width: int = 1280, context=None):
        if context is None:
            context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
            contexts.append(context)
        page = context.new_page()
        if username:
            log_in(page, username)
        return page

    yield open_as
    for context in contexts:
        context.close()
