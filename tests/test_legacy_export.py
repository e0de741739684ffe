"""`manage.py export_dump`: the posts written back as a legacy dump, which imports as the same posts.

A round trip imports the export into a database holding no post, category, tag, alias or
attachment, the only rows an import reads: the posts are wiped through the ORM (their
revisions, aliases and links go with them) in the test's own database. The audit log keeps its
rows, with their post emptied, as after any deletion; no import looks at it.
"""

import io
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from taggit.models import Tag

from posts import workflow
from posts.legacy.dump import parse_post
from posts.legacy.export import export_dump
from posts.legacy.importer import import_dump
from posts.models import Alias, Attachment, Category, Post

from .factories import change_post, make_post, workflow_user

pytestmark = pytest.mark.django_db


def export(directory: Path, *options: str) -> str:
    output = io.StringIO()
    call_command("export_dump", str(directory), *options, stdout=output)
    return output.getvalue()


def posts_as_fields() -> dict[str, dict]:
    """Every post, field by field, with what links to it by name; revisions and ids aside."""
    posts = {}
    for post in Post.objects.prefetch_related("categories", "tags", "aliases"):
        posts[post.slug] = {
            "title": post.title,
            "body": post.body,
            "body_html": post.body_html,
            "date": post.date,
            "lastmod": post.lastmod,
            "tiki_page_id": post.tiki_page_id,
            "status": post.status,
            "legacy_metadata": post.legacy_metadata,
            "categories": sorted(category.name for category in post.categories.all()),
            "tags": sorted(tag.name for tag in post.tags.all()),
            "aliases": sorted((alias.path, alias.kind) for alias in post.aliases.all()),
        }
    return posts


def reimport(directory: Path) -> dict[str, dict]:
    """Import `directory` into the database emptied of what an import reads, and return its posts."""
    Post.objects.all().delete()
    Category.objects.all().delete()
    Tag.objects.all().delete()
    Attachment.objects.all().delete()
    report = import_dump(directory)
    assert report.ok, report.failed
    return posts_as_fields()


def test_export_of_the_corpus_imports_back_as_the_same_posts(corpus_dump, tmp_path):
    assert import_dump(corpus_dump).ok
    imported = posts_as_fields()

    output = export(tmp_path / "export")

    assert f"{len(imported)} posts written to {tmp_path / 'export'}" in output
    assert sorted(path.name for path in (tmp_path / "export").iterdir()) == sorted(f"{slug}.md" for slug in imported)
    assert reimport(tmp_path / "export") == imported


def test_post_edited_in_the_cms_exports_its_new_content(seed, tmp_path):
    change_post(seed, title="A new title", body="New *body*", tags=["new tag"])

    export(tmp_path / "export")

    legacy = parse_post(f"{seed.slug}.md", (tmp_path / "export" / f"{seed.slug}.md").read_bytes())
    assert (legacy.title, legacy.body, legacy.tags) == ("A new title", "New *body*", ("new tag",))
    assert reimport(tmp_path / "export")[seed.slug]["body_html"] == "<p>New <em>body</em></p>\n"


def test_waiting_changes_are_not_exported_but_what_readers_see(seed, tmp_path):
    live_body = seed.body
    content = workflow.Content.of(seed.latest_revision)
    workflow.edit(
        seed, by=workflow_user(), content=replace(content, body="Not approved yet"), based_on=seed.latest_revision
    )

    export(tmp_path / "export")

    assert reimport(tmp_path / "export")[seed.slug]["body"] == live_body


def test_draft_is_written_only_with_include_drafts_and_comes_back_a_draft(tmp_path):
    make_post("public", body="Everyone reads it")
    make_post("unfinished", body="Not yet", status=Post.Status.DRAFT)

    output = export(tmp_path / "public")
    assert "1 post(s) readers do not see left out (--include-drafts writes them)" in output
    assert [path.name for path in (tmp_path / "public").iterdir()] == ["public.md"]

    export(tmp_path / "all", "--include-drafts")
    posts = reimport(tmp_path / "all")
    assert (posts["public"]["status"], posts["unfinished"]["status"]) == ("published", "draft")


def test_deleted_post_is_left_out_and_the_output_says_so(tmp_path):
    make_post("kept")
    make_post("gone", status=Post.Status.DELETED)

    output = export(tmp_path / "export", "--include-drafts")

    assert [path.name for path in (tmp_path / "export").iterdir()] == ["kept.md"]
    assert "1 deleted post(s) left out" in output
    assert "1 posts written to" in output


def test_export_over_an_older_one_names_the_files_it_left(tmp_path):
    make_post("kept")
    make_post("also-kept")
    deleted = make_post("deleted-since")
    export(tmp_path / "export")
    workflow.delete(deleted, by=workflow_user())

    output = export(tmp_path / "export", "--force")

    assert "1 other .md file(s) in" in output
    assert "left as they were: an import of the directory reads them too" in output


def test_hostile_title_body_labels_and_metadata_survive_the_round_trip(tmp_path):
    make_post(
        "hostile",
        title='<script>alert("x")</script> "quoted" } {',
        body='{"title": "not front matter"}\n}\n\n<b onclick="x()">bold</b>\n}\n  \n',
        categories=['Say "cheese" }'],
        tags=["<i>tag</i>", "50% off?"],
        lastmod=datetime(2020, 1, 2, tzinfo=UTC),
        legacy_metadata={"weight": 3, "nested": {"list": ["}", "{"]}, "html": "</script>"},
    )
    # Stored as "/sure? 100% yes no": a query mark and a percent sign in a stored path.
    Post.objects.get(slug="hostile").aliases.create(
        path="/tiki-index.php?page=Sure%3F+100%25+yes%2Bno", kind=Alias.Kind.LEGACY_TITLE
    )
    expected = posts_as_fields()

    export(tmp_path / "export")

    assert reimport(tmp_path / "export") == expected


def test_second_export_with_force_writes_the_same_bytes(corpus_dump, tmp_path):
    assert import_dump(corpus_dump).ok
    export(tmp_path / "export")
    first = {path.name: path.read_bytes() for path in (tmp_path / "export").iterdir()}

    with pytest.raises(CommandError, match="is not empty: choose an empty directory, or --force"):
        export(tmp_path / "export")
    export(tmp_path / "export", "--force")

    assert {path.name: path.read_bytes() for path in (tmp_path / "export").iterdir()} == first


def test_a_failed_write_leaves_no_file_behind_under_a_name_an_import_reads(tmp_path):
    make_post("first", body="Written whole")
    make_post("second", body="Cannot be written")
    (tmp_path / "export" / "second.md").mkdir(parents=True)  # nothing can be renamed over a directory

    with pytest.raises(CommandError, match=r"cannot write .*second\.md"):
        export(tmp_path / "export", "--force")

    assert sorted(path.name for path in (tmp_path / "export").iterdir()) == ["first.md", "second.md"]
    assert parse_post("first.md", (tmp_path / "export" / "first.md").read_bytes()).body == "Written whole"


def test_export_reads_the_posts_a_chunk_at_a_time(corpus_dump, tmp_path, django_assert_max_num_queries):
    assert import_dump(corpus_dump).ok
    posts = Post.objects.count()

    # A chunk of posts, then its categories, tags and aliases, and one more read to find no post left.
    with django_assert_max_num_queries(4 * (posts // 40 + 2) + 3):
        report = export_dump(tmp_path / "export", chunk_size=40)

    assert report.written == posts
