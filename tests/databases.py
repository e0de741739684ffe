"""A database other processes can open too (a worker, the import command), and fingerprints of
what a database holds.

pytest-django's test database is rolled back after each test, and on SQLite it lives in memory:
no subprocess sees it. `SharedDatabase` copies the empty, migrated test database to a file (SQLite)
or a database of its own (PostgreSQL), and points the tests' own connection at it meanwhile.
"""

import hashlib
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import psycopg
from django.apps import apps
from django.conf import settings
from django.db import connection
from taggit.models import Tag

from posts.models import Alias, Attachment, Category, ImportRun, Post, PostAction, Revision, TagDigest, TaggedPost
from tests.factories import make_role_groups


class SharedDatabase:
    def __init__(self, directory: Path) -> None:
        self.settings = connection.settings_dict
        self.test_name = self.settings["NAME"]
        self.sqlite = connection.vendor == "sqlite"
        self.name = str(directory / "shared.sqlite3") if self.sqlite else f"{self.test_name}_shared"
        self.memory = None

    @property
    def url(self) -> str:
        if self.sqlite:
            return f"sqlite:///{self.name}"
        s = self.settings
        return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{self.name}"

    def open(self) -> None:
        """Make it afresh from the test database, and point the tests' connection at it."""
        if self.sqlite:
            if self.memory is None:
                connection.ensure_connection()
                self.memory = connection.connection  # kept open: closing it would drop the in-memory database
            Path(self.name).unlink(missing_ok=True)
            target = sqlite3.connect(self.name)
            self.memory.backup(target)
            target.close()
            connection.connection = None
        else:
            connection.close()
            with self._server() as server:
                server.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
                server.execute(f'CREATE DATABASE "{self.name}" TEMPLATE "{self.test_name}"')
        self.settings["NAME"] = self.name
        make_role_groups()

    def close(self) -> None:
        connection.close()
        self.settings["NAME"] = self.test_name
        if self.sqlite:
            connection.connection = self.memory
        else:
            with self._server() as server:
                server.execute(f'DROP DATABASE IF EXISTS "{self.name}"')

    def _server(self):
        s = self.settings
        return psycopg.connect(
            host=s["HOST"] or "127.0.0.1",
            port=s["PORT"] or 5432,
            user=s["USER"],
            password=s["PASSWORD"] or None,
            dbname="postgres",
            autocommit=True,
        )


def worker_process(database: SharedDatabase) -> subprocess.Popen:
    """`manage.py db_worker` over `database`, polling every 0.1 s; stop it with os.killpg."""
    env = {
        **os.environ,
        "DATABASE_URL": database.url,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"]
    return subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, start_new_session=True, stdout=subprocess.DEVNULL)


def wait_for(condition, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def fingerprint(*, exclude=(ImportRun,)) -> dict[str, str]:
    """A hash of every row of every model's table (the run records excluded), ordered by primary key."""
    tables = {}
    for model in _tables(exclude):
        rows = list(model._base_manager.order_by("pk").values_list())
        tables[model._meta.db_table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return tables


def _tables(exclude):
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if not model._meta.proxy and model._meta.managed and model not in exclude
    ]


# What differs between two imports of the same dump, rightly: when rows were written, and the
# ids the database handed out (PostgreSQL's sequences move on past rolled-back inserts too).
VOLATILE = {"id", "created", "updated", "import_run"}


def content_fingerprint() -> dict[str, list]:
    """What the import wrote, with ids replaced by what they stand for (a post by its slug, a
    revision by its post and rank, a tag by its name...) and the times of writing left out, so
    that two imports of one dump, run differently, compare equal."""
    slugs = dict(Post.objects.values_list("pk", "slug"))
    revisions, rank = {}, Counter()
    for post_id, pk in Revision.objects.order_by("post_id", "pk").values_list("post_id", "pk"):
        revisions[pk] = (slugs[post_id], rank[post_id])
        rank[post_id] += 1
    keys = {
        Post: slugs,
        Revision: revisions,
        Category: dict(Category.objects.values_list("pk", "slug")),
        Tag: dict(Tag.objects.values_list("pk", "name")),
        Attachment: dict(Attachment.objects.values_list("pk", "legacy_url")),
    }
    tables = {}
    for model in [
        Post,
        Revision,
        Category,
        Tag,
        TaggedPost,
        Post.categories.through,
        Alias,
        TagDigest,
        PostAction,
        Attachment,
        Attachment.posts.through,
    ]:
        rows = []
        for row in model._base_manager.values():
            canonical = {}
            for field in model._meta.concrete_fields:
                if field.name in VOLATILE or (field.primary_key and not field.is_relation):
                    continue
                value = row[field.attname]
                if field.is_relation and value is not None:
                    value = keys.get(field.related_model, {}).get(value, ("user", value))
                canonical[field.name] = _stable(model, field.name, value, keys)
            rows.append(repr(sorted(canonical.items())))
        tables[model._meta.db_table] = sorted(rows)
    return tables


def _stable(model, name: str, value, keys: dict):
    if model is Post and name == "article" and value:
        article = {key: item for key, item in value.items() if key != "modified"}  # the live revision's time
        if "tag_ids" in article:  # the tags' ids, as the database handed them out: their names
            article["tag_ids"] = [keys[Tag].get(pk, ("tag", pk)) for pk in article["tag_ids"]]
        return article
    if model is TagDigest and name == "newest":
        return [entry[1:] for entry in value]  # [id, title, slug, date]: the id dropped
    return value
