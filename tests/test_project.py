"""The project as a whole: settings from the environment, deploy checks, staff-only endpoints."""

import io
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command

from posts.cache import VERSION_KEY, content_version
from posts.legacy.importer import import_dump
from posts.models import Attachment, Post, Revision
from vdwiki.wsgi import application

from .factories import make_post

PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-key-for-tests-" + "y" * 20,
    "DJANGO_ALLOWED_HOSTS": "vitamindwiki.example",
}


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_debug_and_secret_key_the_site_refuses_to_start():
    result = manage("check", env={"DJANGO_DEBUG": "0"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_deploy_checks_are_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_database_url_selects_postgresql():
    result = subprocess.run(
        [sys.executable, "-c", "from vdwiki import settings as s; print(s.DATABASES['default']['ENGINE'])"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": "postgres://u@db.example:5432/vdwiki"},
        capture_output=True,
        text=True,
    )
    assert result.stdout.strip() == "django.db.backends.postgresql"


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ["/markdownx/markdownify/", "/markdownx/upload/"])
def test_markdownx_endpoints_refuse_anonymous_and_non_staff_users(client, django_user_model, endpoint):
    assert client.post(endpoint, {"content": "**x**"}).status_code == 403
    user = django_user_model.objects.create_user("reader", password="pw-reader-123")
    client.force_login(user)
    assert client.post(endpoint, {"content": "**x**"}).status_code == 403


@pytest.mark.django_db
def test_markdownx_preview_renders_like_the_public_page_for_staff(admin_client, tmp_path):
    files = tmp_path / "cdn" / "png"
    files.mkdir(parents=True)
    (files / "x.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    source = (
        "{{< toc >}}\n\n## Heading\n\n![img](https://d1bk1kqxc0sym.cloudfront.net/attachments/png/x.png)\n\n"
        "<script>alert(1)</script>[x](javascript:alert(1))"
    )
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "p.md").write_text('{"title": "P", "date": "2024-01-01"}\n\n' + source)
    import_dump(dump, attachments_dir=tmp_path / "cdn")

    response = admin_client.post("/markdownx/markdownify/", {"content": source})

    assert response.status_code == 200
    preview = response.content.decode()
    assert preview == Post.objects.get(slug="p").body_html
    assert Attachment.objects.get().file.url in preview
    assert "<script" not in preview


@pytest.mark.django_db
def test_saving_a_post_in_the_admin_records_an_editor_revision(admin_client, admin_user):
    response = admin_client.post(
        "/admin/posts/post/add/",
        {
            "title": "Written in the admin",
            "slug": "written-in-the-admin",
            "body": "## Part\n\nText",
            "status": "published",
            "date_0": "2026-11-22",
            "date_1": "10:00:00",
            "tags": "alpha, Beta",
            "aliases-TOTAL_FORMS": "0",
            "aliases-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    post = Post.objects.get(slug="written-in-the-admin")
    revision = post.latest_revision
    assert (revision.source, revision.author, revision.tags) == (Revision.Source.EDITOR, admin_user, ["alpha", "Beta"])
    assert (post.status, post.live_revision) == (Post.Status.DRAFT, None)  # published through the workflow
    assert 'id="part"' in post.body_html


@pytest.mark.django_db
def test_rerender_refreshes_stale_html(admin_user, django_capture_on_commit_callbacks):
    post = make_post("t", title="T", body="**bold**")
    make_post("written", body="Words.", summary="What its editor wrote.")
    Post.objects.filter(pk=post.pk).update(body_html="stale")
    Revision.objects.update(body_html="stale")

    version = content_version()

    with django_capture_on_commit_callbacks(execute=True):  # pages go stale once committed
        call_command("rerender", stdout=io.StringIO())

    post.refresh_from_db()
    assert "<strong>bold</strong>" in post.body_html
    assert "<strong>bold</strong>" in post.latest_revision.body_html
    assert Post.objects.get(slug="written").summary == "What its editor wrote."  # not the excerpt
    assert cache.get(VERSION_KEY) > version  # cached pages show the new HTML


def test_wsgi_py_is_djangos_own_application_with_nothing_in_front():
    assert isinstance(application, WSGIHandler)
