"""The limits of a post (posts/limits.py): what would cost a request minutes of CPU is refused
before rendering, with a message naming the limit and the value, by every writer: the admin's
form, the live preview, the workflow and the importer. And what stays within them renders in
linear time (results are asserted here; bench/render.py measures the time)."""

import json
import os
import subprocess
import sys

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.core.exceptions import ValidationError

from posts import workflow
from posts.admin_lists import BulkTagsForm
from posts.legacy.dump import parse_post
from posts.legacy.importer import import_dump
from posts.limits import body_problem, nesting_depth, tags_problem
from posts.models import Post, Revision
from posts.rendering import render
from posts.workflow import Content

from .conftest import CORPUS_FILES
from .factories import make_user

DEEP = "<div>" * 40_000
LONG = "word " * 40_000 + "words"
MANY_TAGS = tuple(f"tag {number}" for number in range(2_000))
DEPTH_MESSAGE = "The body's HTML is nested 40,000 elements deep; the limit is 100 (DJANGO_MAX_HTML_DEPTH)."
LENGTH_MESSAGE = "The body is 200,005 characters long; the limit is 200,000 (DJANGO_MAX_BODY_CHARS)."
TAGS_MESSAGE = "The post has 2,000 tags; the limit is 200 (DJANGO_MAX_TAGS)."


def edit_form(post: Post, **fields) -> dict:
    return {
        "title": post.title,
        "slug": post.slug,
        "body": post.body,
        "tags": "Zinc",
        "based_on": post.latest_revision_id,
        "message": "",
        "aliases-TOTAL_FORMS": "0",
        "aliases-INITIAL_FORMS": "0",
        **fields,
    }


def errors_of(response) -> str:
    return BeautifulSoup(response.content, "html.parser").select_one(".errorlist").get_text(" ")


@pytest.fixture
def editor(db):
    return make_user("Editor", "editor")


@pytest.fixture
def post(editor):
    return workflow.create(by=editor, content=Content("A post", "a-post", "Words.", tags=("Zinc",)))


def test_the_default_limits_are_the_documented_ones():
    assert (settings.VDWIKI_MAX_BODY_CHARS, settings.VDWIKI_MAX_HTML_DEPTH, settings.VDWIKI_MAX_TAGS) == (
        200_000,
        100,
        200,
    )


def test_the_limits_are_read_from_the_environment():
    code = (
        "from vdwiki import settings as s; print(s.VDWIKI_MAX_BODY_CHARS, s.VDWIKI_MAX_HTML_DEPTH, s.VDWIKI_MAX_TAGS)"
    )
    environment = {**os.environ, "DJANGO_MAX_BODY_CHARS": "5000", "DJANGO_MAX_HTML_DEPTH": "7", "DJANGO_MAX_TAGS": "3"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True
    )
    assert result.stdout.split() == ["5000", "7", "3"]


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda path: path.name)
def test_every_corpus_post_is_within_the_limits(path):
    legacy = parse_post(path.name, path.read_bytes())
    assert body_problem(legacy.body) is None
    assert tags_problem(legacy.tags) is None


def test_the_nesting_depth_is_never_less_than_a_browsers():
    assert nesting_depth("<div><p>a</p><br><img src=x><hr/></div>") == 2
    assert nesting_depth("<div/>" * 5) == 5
    assert nesting_depth("<b><i>x</b></i></i></span><b>") == 2
    assert nesting_depth("<div>" * 10 + "</div>" * 10 + "<p>") == 10
    assert nesting_depth('<div title="<">' * 3) == 3
    assert nesting_depth("<!-->" + "<div>" * 3) == 3
    assert nesting_depth("<a" * 1_000 + ">") == 1


def test_wiki_boxes_count_as_the_html_they_become():
    # 101 nested boxes: 101 divs, and the innermost box's title in a p and a strong.
    assert body_problem('{BOX(title="x")}' * 101 + "x" + "{BOX}" * 101) == (
        "The body's HTML is nested 103 elements deep; the limit is 100 (DJANGO_MAX_HTML_DEPTH)."
    )


def test_a_body_at_the_limits_passes():
    assert body_problem("<div>" * 100 + "x" * (200_000 - 500)) is None
    assert tags_problem([f"t{number}" for number in range(200)]) is None


def test_the_admin_form_refuses_a_body_too_long_or_too_deep_and_keeps_the_post(client, editor, post):
    client.force_login(editor)
    for body, message in ((LONG, LENGTH_MESSAGE), (DEEP, DEPTH_MESSAGE)):
        response = client.post(f"/admin/posts/post/{post.pk}/change/", edit_form(post, body=body))
        assert response.status_code == 200
        assert errors_of(response) == message
    assert Revision.objects.filter(post=post).count() == 1
    post.refresh_from_db()
    assert post.body == "Words."


def test_the_admin_form_refuses_two_thousand_tags_and_keeps_the_post(client, editor, post):
    client.force_login(editor)
    response = client.post(f"/admin/posts/post/{post.pk}/change/", edit_form(post, tags=", ".join(MANY_TAGS)))
    assert response.status_code == 200
    assert errors_of(response) == TAGS_MESSAGE
    assert list(post.tags.names()) == ["Zinc"]
    assert Revision.objects.filter(post=post).count() == 1


def test_a_tag_longer_than_a_tag_name_holds_is_refused_by_the_forms_and_the_workflow(client, editor, post):
    # PostgreSQL refused to store it: the edit page and bulk tags answered 500, a background run failed.
    message = "A tag is 101 characters long; a tag holds 100 at most."
    assert tags_problem(["Zinc", "t" * 100]) is None
    client.force_login(editor)

    response = client.post(f"/admin/posts/post/{post.pk}/change/", edit_form(post, tags="Zinc, " + "t" * 101))

    assert response.status_code == 200 and errors_of(response) == message
    assert BulkTagsForm({"add": "t" * 101}).errors == {"add": [message]}
    with pytest.raises(ValidationError) as refused:
        workflow.edit(
            post, by=editor, content=Content("A post", "a-post", tags=("t" * 101,)), based_on=post.latest_revision
        )
    assert refused.value.messages == [message]
    assert list(post.tags.names()) == ["Zinc"] and Revision.objects.filter(post=post).count() == 1


def test_the_admin_form_refuses_a_new_post_over_the_limits_and_stores_nothing(client, editor):
    client.force_login(editor)
    form = {**edit_form(Post(title="New", slug="new"), body=DEEP), "based_on": ""}
    response = client.post("/admin/posts/post/add/", form)
    assert response.status_code == 200
    assert errors_of(response) == DEPTH_MESSAGE
    assert not Post.objects.exists()


def test_the_live_preview_refuses_a_body_over_the_limits_with_a_400(client, editor):
    client.force_login(editor)
    for body, message in ((LONG, LENGTH_MESSAGE), (DEEP, DEPTH_MESSAGE)):
        response = client.post("/markdownx/markdownify/", {"content": body})
        assert response.status_code == 400
        assert response.content.decode() == message


def test_the_workflow_refuses_what_the_form_would_for_every_other_writer(editor, post):
    for content, message in (
        (Content("A post", "a-post", DEEP), DEPTH_MESSAGE),
        (Content("A post", "a-post", LONG), LENGTH_MESSAGE),
        (Content("A post", "a-post", "Words.", tags=MANY_TAGS), TAGS_MESSAGE),
    ):
        with pytest.raises(ValidationError) as refused:
            workflow.edit(post, by=editor, content=content, based_on=post.latest_revision_id)
        assert refused.value.messages == [message]
        with pytest.raises(ValidationError):
            workflow.create(by=editor, content=Content("Other", "other", content.body, tags=content.tags))
    assert Post.objects.get().body == "Words." and Revision.objects.count() == 1


def test_the_importer_refuses_each_file_over_the_limits_by_name_and_imports_the_rest(db, tmp_path):
    dump = tmp_path / "dump"
    dump.mkdir()
    front = {"title": "T", "date": "2024-01-01"}
    (dump / "deep.md").write_text(json.dumps(front) + "\n\n" + DEEP)
    (dump / "long.md").write_text(json.dumps(front) + "\n\n" + LONG)
    (dump / "tagged.md").write_text(json.dumps({**front, "tags": list(MANY_TAGS)}) + "\n\nWords.")
    (dump / "fine.md").write_text(json.dumps(front) + "\n\nWords.")

    report = import_dump(dump)

    assert sorted(failure["message"] for failure in report.failed) == [
        f"deep.md, field 'body': {DEPTH_MESSAGE}",
        f"long.md, field 'body': {LENGTH_MESSAGE}",
        f"tagged.md, field 'tags': {TAGS_MESSAGE}",
    ]
    assert list(Post.objects.values_list("slug", flat=True)) == ["fine"]


def test_eight_thousand_equal_headings_get_hugos_distinct_ids():
    headings = render("## a\n" * 8_000).headings
    assert [heading.anchor for heading in headings] == ["a", *(f"a-{number}" for number in range(1, 8_000))]


def test_a_heading_that_looks_like_a_numbered_id_keeps_hugos_numbering():
    anchors = [heading.anchor for heading in render("## a\n## a-1\n## a\n## a\n## a-1\n## a-2-1\n").headings]
    assert anchors == ["a", "a-1", "a-2", "a-3", "a-1-1", "a-2-1"]


def test_the_live_preview_renders_eight_thousand_equal_headings_with_distinct_ids(client, editor):
    client.force_login(editor)
    response = client.post("/markdownx/markdownify/", {"content": "## a\n" * 8_000})
    assert response.status_code == 200
    ids = [heading["id"] for heading in BeautifulSoup(response.content, "html.parser").find_all("h2")]
    assert len(ids) == len(set(ids)) == 8_000


def test_the_live_preview_makes_one_table_of_contents_however_often_the_shortcode_repeats(client, editor):
    # Each repeat cost the whole list again: 10,000 shortcodes over 5,000 headings (170 KB) took
    # gigabytes and minutes.
    client.force_login(editor)
    body = "Intro.\n\n" + "{{< toc >}} {maketoc}\n\n" * 300 + "## a\n" * 300
    response = client.post("/markdownx/markdownify/", {"content": body})
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    assert len(page.select("nav.toc")) == 1 and len(page.select("nav.toc li")) == 300
    html = response.content.decode()
    assert html.index("Intro.") < html.index('<nav class="toc">') and "VDWIKITOC" not in html
