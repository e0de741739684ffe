import io
import json
import tarfile
import zipfile
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from taggit.models import Tag

from posts import workflow
from posts.aliases import normalize_path
from posts.cache import VERSION_KEY, content_version
from posts.legacy import importer
from posts.legacy.importer import import_dump
from posts.models import Alias, Attachment, Category, ImportRun, Post, PostAction, Revision, TaggedPost

from .conftest import CORPUS_FILES, CORPUS_SEED
from .factories import change_post

pytestmark = pytest.mark.django_db

SEED = CORPUS_SEED / "recurrent-miscarriages-decreased-by-increased-vitamin-d-levels.md"
WIKI_REMNANTS = ("{FONT", "{BOX", "{DIV", "~~#", "{{<", "{maketoc")
CONTENT_MODELS = [Post, Revision, Category, Alias, Attachment, Tag, TaggedPost, Post.categories.through]


def db_state():
    """Every content row, to show an operation left the database exactly as it was."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in CONTENT_MODELS} | {
        "attachment_posts": list(Attachment.posts.through.objects.order_by("pk").values())
    }


def post_file(slug="a-post", title="A post", body="Some *text*.", **fields):
    meta = {"title": title, "slug": slug, "date": "2024-01-29", **fields}
    return json.dumps(meta, indent=4, ensure_ascii=False) + "\n\n" + body + "\n"


def write(dump, name, text):
    path = dump / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


@pytest.fixture
def dump(tmp_path):
    path = tmp_path / "small-dump"
    path.mkdir()
    return path


def test_every_corpus_post_imports_and_answers_at_its_url_and_aliases(corpus_dump, client):
    report = import_dump(corpus_dump)

    assert report.failed == []
    assert len(report.created) == len(CORPUS_FILES)
    assert Post.objects.count() == len(CORPUS_FILES)
    for post in Post.objects.prefetch_related("aliases"):
        response = client.get(post.get_absolute_url())
        assert response.status_code == 200, post.slug
        assert b'<div id="post-body">' in response.content
        page = response.content.decode().lower()
        assert not [remnant for remnant in WIKI_REMNANTS if remnant.lower() in page], post.slug
        assert post.live_revision_id == post.latest_revision_id is not None
        for alias in post.aliases.all():
            response = client.get(alias.path)
            assert response.status_code == 301, alias.path
            assert response["Location"] == post.get_absolute_url()
        if post.tiki_page_id:
            for url in (f"/{post.tiki_page_id}", f"/tiki-index.php?page_id={post.tiki_page_id}"):
                response = client.get(url)
                assert (response.status_code, response["Location"]) == (301, post.get_absolute_url()), url


def test_declared_aliases_of_every_corpus_post_redirect_as_written(corpus_dump, client):
    import_dump(corpus_dump)
    checked = 0
    for source in CORPUS_FILES:
        meta, _ = json.JSONDecoder().raw_decode(source.read_text(encoding="utf-8"))
        for alias in meta.get("aliases", []):
            response = client.get(alias)
            assert response.status_code == 301, (source.name, alias)
            assert response["Location"] == f"/posts/{meta['slug']}/"
            checked += 1
    assert checked > len(CORPUS_FILES)


def test_reimporting_the_corpus_reports_every_post_unchanged_and_writes_no_revision(corpus_dump):
    import_dump(corpus_dump)
    before = db_state()

    report = import_dump(corpus_dump)

    assert report.ok
    assert (report.created, report.updated, report.conflicts) == ([], [], [])
    assert len(report.unchanged) == len(CORPUS_FILES)
    assert db_state() == before


def test_the_seed_post_is_imported_with_every_field(dump):
    write(dump, SEED.name, SEED.read_bytes())
    import_dump(dump)

    post = Post.objects.get()
    assert post.title == "Recurrent miscarriages decreased by increased Vitamin D levels"
    assert post.slug == "recurrent-miscarriages-decreased-by-increased-vitamin-d-levels"
    assert post.tiki_page_id == 15008
    assert post.date.isoformat() == "2024-01-29T00:00:00+00:00"
    assert post.status == Post.Status.PUBLISHED
    assert [c.name for c in post.categories.all()] == ["Pregnancy"]
    assert sorted(post.tags.names(), key=str.casefold) == ["miscarriage", "Pregnancy", "vitamin d"]
    assert set(post.aliases.values_list("path", "kind")) == {
        (normalize_path("/Recurrent+miscarriages+decreased+by+increased+Vitamin+D+levels+-+Jan+2024"), "legacy_title"),
        ("/15008", "page_id"),
    }
    assert "≤" in post.body and "â‰¤" not in post.body
    assert post.summary.startswith("Study does not appear to describe how much Vitamin D was given")
    assert "Objective: This study explores" in post.summary and "*" not in post.summary
    assert "Wenqi Du" in post.body_text and "(p < .001)" in post.body_text and "<p>" not in post.body_text
    revision = post.latest_revision
    assert (revision.source, revision.title, revision.categories) == ("import", post.title, ["Pregnancy"])
    assert Attachment.objects.filter(posts=post).count() == 2


def test_tags_and_categories_are_one_whatever_their_capitalisation(dump):
    write(dump, "a.md", post_file("a", categories=["Top news "], tags=["Pregnancy"]))
    write(dump, "b.md", post_file("b", categories=["top  news"], tags=["pregnancy", "PREGNANCY"]))
    import_dump(dump)

    assert list(Category.objects.values_list("name", flat=True)) == ["Top news"]
    assert list(Tag.objects.values_list("name", flat=True)) == ["Pregnancy"]
    assert TaggedPost.objects.count() == 2


def test_a_changed_file_makes_a_new_import_revision(dump):
    path = write(dump, "a.md", post_file(body="First text."))
    import_dump(dump)
    path.write_text(post_file(body="Second text."))

    report = import_dump(dump)

    post = Post.objects.get()
    assert report.updated == ["a-post"]
    assert post.revisions.count() == 2
    assert post.latest_revision.source == Revision.Source.IMPORT
    assert "Second text." in post.body_html
    assert post.live_revision == post.latest_revision


def test_a_changed_slug_on_reimport_leaves_the_old_url_redirecting(dump, client):
    path = write(dump, "a.md", post_file("old-slug", tiki_page_id=77))
    import_dump(dump)
    path.write_text(post_file("new-slug", tiki_page_id=77))

    import_dump(dump)

    assert Post.objects.get().slug == "new-slug"
    response = client.get("/posts/old-slug/")
    assert (response.status_code, response["Location"]) == (301, "/posts/new-slug/")


def test_a_post_edited_in_the_cms_is_a_conflict_unless_forced(dump, admin_user):
    path = write(dump, "a.md", post_file(body="Imported."))
    import_dump(dump)
    change_post(Post.objects.get(), body="Edited by a person.")
    path.write_text(post_file(body="Imported again."))
    before = db_state()

    report = import_dump(dump)

    assert report.conflicts == [{"file": "a.md", "slug": "a-post", "reason": "edited in the CMS since its last import"}]
    assert db_state() == before

    report = import_dump(dump, force=True)
    assert report.updated == ["a-post"]
    assert "Imported again." in Post.objects.get().body_html


def test_a_forced_import_keeps_the_summary_written_in_the_cms_which_the_dump_has_no_field_for(dump, admin_user):
    path = write(dump, "a.md", post_file(body="Imported."))
    import_dump(dump)
    change_post(Post.objects.get(), summary="A summary an editor wrote.")
    path.write_text(post_file(body="Imported again."))

    assert import_dump(dump, force=True).updated == ["a-post"]

    post = Post.objects.get()
    assert "Imported again." in post.body_html
    assert (post.written_summary, post.summary, post.latest_revision.summary) == ("A summary an editor wrote.",) * 3


def test_a_post_in_review_or_scheduled_is_a_conflict_and_forcing_ends_its_review(dump, admin_user):
    path = write(dump, "a.md", post_file(body="Imported."))
    import_dump(dump)
    post = Post.objects.get()
    workflow.unpublish(post, by=admin_user)
    workflow.submit(post, by=admin_user)
    workflow.schedule(post, by=admin_user, at=timezone.now() + timedelta(days=1))
    path.write_text(post_file(body="Never reviewed words."))
    before = db_state()

    report = import_dump(dump)

    assert report.conflicts == [{"file": "a.md", "slug": "a-post", "reason": "in review or scheduled in the CMS"}]
    assert db_state() == before

    import_dump(dump, force=True)
    post.refresh_from_db()
    assert (post.status, post.pending_status, post.publish_at, post.submitted_at) == ("published", "", None, None)
    assert workflow.next_due() is None


def test_dry_run_reports_what_would_change_and_writes_nothing(dump):
    write(dump, "a.md", post_file())
    before = db_state()

    report = import_dump(dump, dry_run=True)

    assert report.created == ["a-post"]
    assert db_state() == before
    assert ImportRun.objects.get().dry_run is True


def test_each_run_is_recorded_with_its_report(dump, tmp_path):
    write(dump, "a.md", post_file())
    write(dump, "broken.md", "{ not json")
    report_file = tmp_path / "report.json"

    with pytest.raises(CommandError, match="1 file"):
        call_command("import_dump", str(dump), "--report", str(report_file), stdout=io.StringIO(), stderr=io.StringIO())

    report = json.loads(report_file.read_text())
    assert report["summary"]["created"] == 1
    assert report["summary"]["failed"] == 1
    assert report["failed"][0]["file"] == "broken.md"
    run = ImportRun.objects.get()
    assert run.succeeded is False
    assert run.report["summary"] == report["summary"]


def test_the_command_prints_a_summary(dump):
    write(dump, "a.md", post_file())
    out = io.StringIO()
    call_command("import_dump", str(dump), stdout=out)
    assert "1 created, 0 updated, 0 unchanged, 0 conflicts, 0 failed" in out.getvalue()


BAD_FILES = {
    "malformed JSON": ('{\n    "title": "x",\n    "slug" "x"\n}\n\nbody', "bad-json.md, line 3, column 12"),
    "malformed YAML": ("---\ntitle: [unclosed\nslug: x\n---\n\nbody", "bad-yaml.md, line 3"),
    "malformed TOML": ('+++\ntitle = "x"\nslug = \n+++\n\nbody', "bad-toml.md, line 3"),
    "missing title": ('{"slug": "x", "date": "2024-01-01"}\n\nbody', "field 'title'"),
    "a date that is not a date": ('{"title": "x", "date": "yesterday"}\n\nbody', "field 'date'"),
    "non-UTF-8 bytes": (b'{"title": "caf\xe9", "date": "2024-01-01"}\n\nbody', "not valid UTF-8"),
    "a binary file": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    "an empty file": (b"", "empty file"),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_a_bad_file_is_reported_and_nothing_of_it_is_written(dump, case):
    write(dump, "good.md", post_file("good", title="Good"))
    import_dump(dump)
    text, message = BAD_FILES[case]
    name = {"malformed JSON": "bad-json.md", "malformed YAML": "bad-yaml.md", "malformed TOML": "bad-toml.md"}.get(
        case, "bad.md"
    )
    write(dump, name, text)
    before = db_state()

    report = import_dump(dump)

    assert [item["file"] for item in report.failed] == [name]
    assert message in report.failed[0]["message"]
    assert report.unchanged == ["good"]
    assert db_state() == before


def test_the_import_goes_on_after_a_failure_and_the_command_exits_non_zero(dump):
    write(dump, "a-broken.md", "{ not json")
    write(dump, "b.md", post_file("b"))

    with pytest.raises(CommandError):
        call_command("import_dump", str(dump), stdout=io.StringIO(), stderr=io.StringIO())

    assert list(Post.objects.values_list("slug", flat=True)) == ["b"]


def test_strict_writes_nothing_if_any_file_fails(dump):
    write(dump, "a.md", post_file("a"))
    write(dump, "b.md", '{"title": "b", "date": "not a date"}\n\nx')
    before = db_state()

    report = import_dump(dump, strict=True)

    assert report.created == ["a"]
    assert "nothing was written" in report.aborted
    assert db_state() == before


def test_two_files_with_one_slug_fail_the_second(dump):
    write(dump, "a.md", post_file("same", title="First"))
    write(dump, "b.md", post_file("same", title="Second"))

    report = import_dump(dump)

    assert report.failed[0]["file"] == "b.md"
    assert "slug 'same' is already used by a.md" in report.failed[0]["message"]
    assert Post.objects.get().title == "First"


def test_an_alias_claimed_by_two_posts_is_reported_and_never_moved(dump):
    write(dump, "a.md", post_file("a", aliases=["/Shared+Title"]))
    import_dump(dump)
    write(dump, "b.md", post_file("b", aliases=["/Shared%20title"]))
    before = db_state()

    report = import_dump(dump)

    assert report.failed[0]["file"] == "b.md"
    assert report.failed[0]["field"] == "aliases"
    assert "already claimed by post 'a'" in report.failed[0]["message"]
    assert Alias.objects.get(path="/shared title").post.slug == "a"
    assert db_state() == before


def test_an_alias_claimed_twice_within_one_dump_stays_with_the_first(dump):
    write(dump, "a.md", post_file("a", aliases=["/Shared+Title"]))
    write(dump, "b.md", post_file("b", aliases=["/shared title"]))

    report = import_dump(dump)

    assert [item["file"] for item in report.failed] == ["b.md"]
    assert Alias.objects.get(path="/shared title").post.slug == "a"


def test_a_twenty_megabyte_file_is_refused(dump):
    write(dump, "huge.md", post_file("huge", body="x" * (20 * 1024 * 1024)))
    report = import_dump(dump)
    assert report.failed[0]["file"] == "huge.md"
    assert "limit" in report.failed[0]["message"]
    assert not Post.objects.exists()


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_archives_import_and_an_entry_outside_the_dump_is_refused(tmp_path, kind):
    archive = tmp_path / f"dump.{kind}"
    entries = {"posts/a.md": post_file("a").encode(), "../../x.md": post_file("x").encode()}
    if kind == "zip":
        with zipfile.ZipFile(archive, "w") as zf:
            for name, data in entries.items():
                zf.writestr(name, data)
    else:
        with tarfile.open(archive, "w:gz") as tf:
            for name, data in entries.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))

    report = import_dump(archive)

    assert report.created == ["a"]
    assert [item["file"] for item in report.failed] == ["../../x.md"]
    assert "unsafe path" in report.failed[0]["message"]
    assert not (tmp_path.parent / "x.md").exists()


def test_attachments_are_registered_and_stored_copies_are_rendered(dump, tmp_path, media_root):
    files = tmp_path / "cdn"
    (files / "png").mkdir(parents=True)
    (files / "png" / "spontaneous-abortion.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    write(dump, SEED.name, SEED.read_bytes())

    report = import_dump(dump, attachments_dir=files)

    assert report.attachments_registered == 2
    assert report.attachments_stored == 1
    assert report.attachments_missing == ["pdf/recurrent-spontaneous-abortion.pdf"]
    image = Attachment.objects.get(kind="image")
    assert image.file and image.size == 72 and len(image.checksum) == 64
    assert (media_root / image.file.name).read_bytes() == (files / "png" / "spontaneous-abortion.png").read_bytes()
    html = Post.objects.get().body_html
    assert image.file.url in html
    assert "d1bk1kqxc0sym.cloudfront.net/attachments/png" not in html
    assert "d1bk1kqxc0sym.cloudfront.net/attachments/pdf/recurrent-spontaneous-abortion.pdf" in html


def test_attachments_given_on_a_later_run_are_stored_for_unchanged_posts(dump, tmp_path):
    write(dump, SEED.name, SEED.read_bytes())
    import_dump(dump)
    files = tmp_path / "cdn"
    (files / "png").mkdir(parents=True)
    (files / "png" / "spontaneous-abortion.png").write_bytes(b"\x89PNG\r\n\x1a\n")

    report = import_dump(dump, attachments_dir=files)

    assert len(report.unchanged) == 1
    assert Attachment.objects.get(kind="image").file.url in Post.objects.get().body_html


def test_an_attachment_name_with_dot_dot_is_never_read(dump, tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"secret")
    files = tmp_path / "cdn"
    files.mkdir()
    url = "https://d1bk1kqxc0sym.cloudfront.net/attachments/png/../../secret.png"
    write(dump, "a.md", post_file(body=f'<img src="{url}">'))

    report = import_dump(dump, attachments_dir=files)

    assert report.attachments_stored == 0
    assert not Attachment.objects.exclude(file="").exists()


def test_internal_links_that_point_nowhere_are_reported(dump):
    write(
        dump, "a.md", post_file("a", body="[b](/posts/b) [gone](/posts/nowhere) [old](/Old+Title) [lost](/Lost+Title)")
    )
    write(dump, "b.md", post_file("b", aliases=["/Old+Title"]))

    report = import_dump(dump)

    assert report.broken_links == [
        {"post": "a", "link": "/Lost+Title"},
        {"post": "a", "link": "/posts/nowhere/"},
    ]


def test_a_draft_in_the_dump_is_imported_unpublished(dump, client):
    write(dump, "a.md", post_file(draft=True))
    import_dump(dump)
    post = Post.objects.get()
    assert post.status == Post.Status.DRAFT
    assert post.live_revision is None
    assert client.get("/posts/a-post/").status_code == 404


def test_unmodelled_front_matter_fields_are_kept_verbatim(dump):
    write(dump, "a.md", post_file(author_note={"x": [1, 2]}, weight=3))
    import_dump(dump)
    assert Post.objects.get().legacy_metadata == {"author_note": {"x": [1, 2]}, "weight": 3}


def test_yaml_and_toml_front_matter_import_like_json(dump):
    write(dump, "y.md", "---\ntitle: Yaml post\ndate: 2024-01-29\ntags: [a, b]\naliases: [/Yaml+Post]\n---\n\nBody\n")
    write(dump, "t.md", '+++\ntitle = "Toml post"\ndate = 2024-01-29\ncategories = ["News"]\n+++\n\nBody\n')

    report = import_dump(dump)

    assert report.ok
    assert set(Post.objects.values_list("slug", "title")) == {("y", "Yaml post"), ("t", "Toml post")}
    assert Alias.objects.get(path="/yaml post").post.slug == "y"


def test_a_progress_bar_is_shown_when_asked(dump, capsys):
    write(dump, "a.md", post_file())
    write(dump, "b.md", post_file("b"))
    import_dump(dump, progress=True)
    bar = capsys.readouterr().err
    assert "Importing: 100%" in bar and "2/2" in bar


def test_import_runs_are_listed_in_the_admin_with_their_summary(dump, admin_client):
    write(dump, "a.md", post_file())
    import_dump(dump)
    run = ImportRun.objects.get()

    listing = admin_client.get("/admin/posts/importrun/").content.decode()
    detail = admin_client.get(f"/admin/posts/importrun/{run.pk}/change/").content.decode()

    assert "1 created, 0 updated, 0 unchanged" in listing
    assert "&quot;created&quot;: [" in detail and "a-post" in detail


def test_the_same_dump_imports_the_same_in_worker_processes(corpus_dump):
    import_dump(corpus_dump, batch_size=40, workers=2)
    in_workers = {p.slug: (p.body_html, p.title) for p in Post.objects.all()}
    Post.objects.all().delete()

    import_dump(corpus_dump, batch_size=1000, workers=1)

    assert {p.slug: (p.body_html, p.title) for p in Post.objects.all()} == in_workers


def test_a_renamed_file_without_a_slug_moves_the_post_to_its_new_slug(dump, client):
    meta = '{"title": "Renamed", "date": "2024-01-01", "tiki_page_id": 5}\n\nBody'
    write(dump, "old-name.md", meta)
    import_dump(dump)
    (dump / "old-name.md").rename(dump / "new-name.md")

    report = import_dump(dump)

    assert report.updated == ["new-name"]
    assert client.get("/posts/old-name/")["Location"] == "/posts/new-name/"


def test_a_category_or_tag_without_letters_gets_a_slug_and_the_page_works(dump, client):
    write(dump, "a.md", post_file("a", categories=["???"], tags=["!!!"]))
    write(dump, "b.md", post_file("b", categories=["!!!"]))

    report = import_dump(dump)

    assert report.ok
    assert Category.objects.count() == 2
    assert all(category.slug for category in Category.objects.all())
    assert all(tag.slug for tag in Tag.objects.all())
    assert client.get("/posts/a/").status_code == 200


def test_a_category_made_in_the_admin_is_found_by_its_name(dump):
    Category.objects.create(name="Café", slug="cafe")
    write(dump, "a.md", post_file("a", categories=["café"]))

    report = import_dump(dump)

    assert report.ok
    assert list(Post.objects.get().categories.values_list("slug", flat=True)) == ["cafe"]


def test_an_attachment_whose_content_is_not_an_image_or_pdf_is_not_stored(dump, tmp_path):
    files = tmp_path / "cdn"
    (files / "png").mkdir(parents=True)
    (files / "png" / "x.png").write_bytes(b"<html><script>alert(1)</script></html>")
    (files / "svg").mkdir()
    (files / "svg" / "y.svg").write_bytes(b"<svg onload='alert(1)'/>")
    cdn = "https://d1bk1kqxc0sym.cloudfront.net/attachments"
    write(dump, "a.md", post_file(body=f'<img src="{cdn}/png/x.png"> <a href="{cdn}/svg/y.svg">y</a>'))

    report = import_dump(dump, attachments_dir=files)

    assert sorted(report.attachments_refused) == ["png/x.png", "svg/y.svg"]
    assert report.attachments_stored == 0
    assert not Attachment.objects.exclude(file="").exists()


def test_a_dry_run_copies_no_attachment(dump, tmp_path, media_root):
    files = tmp_path / "cdn"
    (files / "png").mkdir(parents=True)
    (files / "png" / "spontaneous-abortion.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    write(dump, SEED.name, SEED.read_bytes())

    report = import_dump(dump, attachments_dir=files, dry_run=True)

    assert report.attachments_stored == 1
    assert not media_root.exists() or not any(path.is_file() for path in media_root.rglob("*"))
    assert not Attachment.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_import_makes_cached_pages_stale_and_a_dry_run_does_not(dump):
    write(dump, "a-post.md", post_file())
    version = content_version()
    import_dump(dump, dry_run=True)
    assert cache.get(VERSION_KEY) == version
    import_dump(dump)
    assert cache.get(VERSION_KEY) > version


def test_index_upkeep_the_database_refuses_after_a_large_import_is_a_warning(dump, monkeypatch, caplog):
    """A role that does not own the search indexes may not clean them: the import stands."""
    monkeypatch.setattr(importer, "ANALYZE_FROM", 1)
    monkeypatch.setattr(importer, "SEARCH_INDEXES", ("posts_no_such_index",))
    write(dump, "a-post.md", post_file())

    report = import_dump(dump)

    assert report.ok and Post.objects.filter(slug="a-post").exists()
    refused = [r for r in caplog.records if r.levelname == "WARNING" and "search indexes" in r.getMessage()]
    assert len(refused) == (1 if connection.vendor == "postgresql" else 0)  # SQLite has no such upkeep
    assert Post.objects.count() == 1  # the connection is still usable


@pytest.mark.django_db(transaction=True)
def test_attachments_stored_for_unchanged_posts_make_cached_pages_stale(dump, tmp_path):
    write(dump, SEED.name, SEED.read_bytes())
    import_dump(dump)
    version = content_version()
    files = tmp_path / "cdn"
    (files / "png").mkdir(parents=True)
    (files / "png" / "spontaneous-abortion.png").write_bytes(b"\x89PNG\r\n\x1a\n")

    report = import_dump(dump, attachments_dir=files)

    assert len(report.unchanged) == 1 and report.attachments_stored == 1
    assert cache.get(VERSION_KEY) > version  # the page now shows our copy of the image


def test_a_slug_held_by_a_post_with_another_tiki_page_id_is_refused_and_that_post_left_alone(dump):
    write(dump, "first.md", post_file("shared", title="First", tiki_page_id=1))
    import_dump(dump)
    (dump / "first.md").unlink()
    write(dump, "second.md", post_file("shared", title="Second", tiki_page_id=2))
    before = db_state()

    report = import_dump(dump)

    assert report.failed == [
        {
            "file": "second.md",
            "field": "slug",
            "line": None,
            "column": None,
            "message": "second.md, field 'slug': slug 'shared' belongs to another post (tiki_page_id 1)",
        }
    ]
    assert db_state() == before


def test_a_post_deleted_in_the_cms_stays_deleted_unless_forced(dump, admin_user, client):
    path = write(dump, "a.md", post_file(body="Imported."))
    import_dump(dump)
    workflow.delete(Post.objects.get(), by=admin_user)
    path.write_text(post_file(body="Imported again."))
    before = db_state()

    report = import_dump(dump)

    assert report.conflicts == [{"file": "a.md", "slug": "a-post", "reason": "deleted in the CMS"}]
    assert report.revived == []
    assert db_state() == before
    assert client.get("/posts/a-post/").status_code == 410


def test_a_forced_import_that_revives_a_deleted_post_lists_it_and_logs_who_did_it(dump, admin_user, client):
    path = write(dump, "a.md", post_file(body="Imported."))
    write(dump, "b.md", post_file("b-post", body="Left as it was."))
    import_dump(dump)
    workflow.delete(Post.objects.get(slug="a-post"), by=admin_user)
    path.write_text(post_file(body="Imported again."))
    out = io.StringIO()

    call_command("import_dump", str(dump), "--force", "--user", admin_user.username, stdout=out)

    assert "revived: a-post (deleted in the CMS; --force brought it back)" in out.getvalue()
    run = ImportRun.objects.latest("pk")
    assert (run.report["revived"], run.report["summary"]["revived"]) == (["a-post"], 1)
    action = PostAction.objects.get(import_run=run)
    post = Post.objects.get(slug="a-post")
    assert (action.post, action.user, action.action) == (post, admin_user, PostAction.Action.UNDELETE)
    assert (action.from_state, action.to_state, action.revision) == ("deleted", "published", post.latest_revision)
    assert action.comment == "Deleted in the CMS, brought back by a forced import of a.md"
    assert client.get("/posts/a-post/").status_code == 200


def test_every_post_an_import_creates_or_changes_has_an_audit_row_naming_its_run(dump):
    path = write(dump, "a.md", post_file(body="First words."))
    write(dump, "b.md", post_file("b-post"))
    call_command("import_dump", str(dump), stdout=io.StringIO())
    first = ImportRun.objects.get()
    path.write_text(post_file(body="Second words."))
    call_command("import_dump", str(dump), stdout=io.StringIO())
    second = ImportRun.objects.latest("pk")

    logged = PostAction.objects.order_by("pk").values_list(
        "post__slug", "action", "from_state", "to_state", "user", "import_run", "comment"
    )
    assert list(logged) == [
        ("a-post", "create", "", "published", None, first.pk, "Imported from a.md"),
        ("b-post", "create", "", "published", None, first.pk, "Imported from b.md"),
        ("a-post", "edit", "published", "published", None, second.pk, "Imported from a.md"),
    ]
    revisions = PostAction.objects.values_list("revision", flat=True)
    assert set(revisions) == set(Revision.objects.values_list("pk", flat=True))


def test_an_import_by_a_user_without_the_right_to_import_is_refused_and_writes_no_post(dump, django_user_model):
    write(dump, "a.md", post_file())
    editor = django_user_model.objects.create_user("editor")

    with pytest.raises(PermissionDenied, match="may not import"):
        import_dump(dump, user=editor)
    assert not Post.objects.exists()


def test_the_command_refuses_a_user_that_does_not_exist(dump):
    write(dump, "a.md", post_file())

    with pytest.raises(CommandError, match="--user nobody: no such user"):
        call_command("import_dump", str(dump), "--user", "nobody", stdout=io.StringIO())
    assert not Post.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_draft_file_imported_then_made_public_is_published_by_its_reimport(tmp_path):
    """The dump says what the post is: a file that is no longer a draft publishes its post."""
    dump = tmp_path / "dump"
    dump.mkdir()
    write(dump, "a.md", post_file(draft=True))
    import_dump(dump)
    assert Post.objects.get().status == Post.Status.DRAFT
    write(dump, "a.md", post_file(body="Changed *text*."))
    report = import_dump(dump)
    assert report.failed == []
    assert Post.objects.get().status == Post.Status.PUBLISHED


@pytest.mark.django_db(transaction=True)
def test_a_hostile_dump_imports_titles_as_text_and_two_hundred_tags(tmp_path, client, settings):
    dump = tmp_path / "dump"
    dump.mkdir()
    tags = ["<b>bold</b>", '"><script>alert(1)</script>'] + [f"tag {n}" for n in range(settings.VDWIKI_MAX_TAGS - 2)]
    hostile = '<script>alert("title")</script><img src=x onerror=alert(1)>'
    write(dump, "a.md", post_file("hostile", title=hostile, body="Vitamin D helps bones grow in children.", tags=tags))
    write(dump, "b.md", post_file("other", title="Other", body="Other words.", tags=tags[:3]))

    report = import_dump(dump)

    assert report.failed == []
    post = Post.objects.get(slug="hostile")
    assert (post.title, post.tags.count(), len(post.article["tag_ids"])) == (hostile, len(tags), len(tags))
    for url in ["/posts/hostile/", "/posts/other/", "/posts/", "/feed/", "/tags/"]:
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>bold" not in html, url
    other = BeautifulSoup(client.get("/posts/other/").content, "html.parser")
    assert [a["href"] for a in other.select(".related a")] == ["/posts/hostile/"]


@pytest.mark.django_db(transaction=True)
def test_importing_the_same_dump_twice_writes_nothing_the_second_time(tmp_path):
    from posts.models import PostAction, Revision, TagDigest

    dump = tmp_path / "dump"
    dump.mkdir()
    write(dump, "a.md", post_file(tags=["rickets"], categories=["Bones"]))
    write(dump, "b.md", post_file("b-post", tags=["rickets"], draft=True))
    import_dump(dump)
    before = (
        list(Post.objects.order_by("pk").values()),
        Revision.objects.count(),
        PostAction.objects.count(),
        list(TagDigest.objects.order_by("tag").values()),
    )

    import_dump(dump)

    after = (
        list(Post.objects.order_by("pk").values()),
        Revision.objects.count(),
        PostAction.objects.count(),
        list(TagDigest.objects.order_by("tag").values()),
    )
    assert after == before


@pytest.mark.django_db(transaction=True)
def test_an_import_refused_to_a_user_without_the_right_leaves_no_tag_category_or_unfinished_run(tmp_path):
    from django.contrib.auth import get_user_model
    from django.core.exceptions import PermissionDenied

    from posts.models import Category, ImportRun

    dump = tmp_path / "dump"
    dump.mkdir()
    write(dump, "a.md", post_file(tags=["rickets"], categories=["Bones"]))
    editor = get_user_model().objects.create_user("editor")

    with pytest.raises(PermissionDenied):
        import_dump(dump, user=editor)

    assert (Post.objects.count(), Tag.objects.count(), Category.objects.count()) == (0, 0, 0)
    run = ImportRun.objects.get()
    assert run.state != ImportRun.State.RUNNING


def test_a_forced_import_drops_a_summary_waiting_for_review_with_the_rest_of_the_waiting_change(dump, admin_user):
    path = write(dump, "a.md", post_file(body="Imported."))
    import_dump(dump)
    post = change_post(Post.objects.get(), summary="The approved summary.")
    waiting = workflow.Content.of(post.latest_revision).__dict__ | {"summary": "Not approved yet."}
    workflow.edit(post, by=admin_user, content=workflow.Content(**waiting), based_on=post.latest_revision)
    path.write_text(post_file(body="Imported again."))

    assert import_dump(dump, force=True).updated == ["a-post"]

    post = Post.objects.get()
    assert (post.written_summary, post.summary, post.latest_revision.summary) == ("The approved summary.",) * 3
