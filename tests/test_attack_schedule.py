"""A scheduled change of a live post, published by the task worker (another process than the app
server), as a reader of the app server meets it. Without Redis each process caches pages in its
own memory (README, "Caching")."""

from datetime import UTC, datetime, timedelta

import pytest

from posts import workflow
from posts.models import Post
from posts.workflow import Content

from . import server as server_module
from .factories import make_role_groups, make_user
from .server import running_server

REDIS_URL = "redis://127.0.0.1:6379/9"


@pytest.fixture(
    params=[
        "redis",
        pytest.param(
            "local-memory",
            marks=pytest.mark.xfail(
                strict=True,
                reason=(
                    "README: without Redis a page may stay 5 minutes in a process after another (the worker) changed it"
                ),
            ),
        ),
    ]
)
def app(request, transactional_db, tmp_path, server_static, monkeypatch, settings):
    if request.param == "redis":
        monkeypatch.setattr(server_module, "SHARED_REDIS_URL", REDIS_URL)
        settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL}}
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)  # the PostgreSQL pass would give it Redis
    with running_server(tmp_path, server_static, shared_cache=request.param == "redis") as server:
        yield server


def test_a_scheduled_change_of_a_live_post_published_by_the_worker_shows_on_its_page(app):
    make_role_groups()
    ed, mo = make_user("Editor", "ed"), make_user("Moderator", "mo")
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
