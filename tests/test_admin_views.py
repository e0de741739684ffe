"""The workflow as editors and moderators meet it in the admin (posts/admin_views.py, and the
post's edit page it is reached from): editing a live post, concurrent saves, the moves, the review
queue, history, comparison, restoring, the audit log, imports; a post's history and the audit log
as moderators read them, and the comparison of two revisions showing text as text."""

import io
import re
import zipfile
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from posts import workflow
from posts.models import Alias, ImportRun, Post, PostAction, Revision
from posts.workflow import Content

from .conftest import CORPUS_SEED
from .factories import make_user
from .test_tasks import run_worker

pytestmark = pytest.mark.django_db

Status = Post.Status


@pytest.fixture
def author():
    return make_user("Author", "writer")


@pytest.fixture
def editor():
    return make_user("Editor", "editor")


@pytest.fixture
def moderator():
    return make_user("Moderator", "boss")


def write(author, title="A post", slug="a-post", body="Live words.") -> Post:
    return workflow.create(by=author, content=Content(title, slug, body, tags=("Zinc",)))


DATES = {"date_0": "2026-11-22", "date_1": "10:00:00"}  # on the form of those who may publish


def edit_form(post: Post, based_on: int | None, **fields) -> dict:
    return {
        "title": post.title,
        "slug": post.slug,
        "body": post.body,
        "tags": "Zinc",
        "based_on": based_on,
        "message": "",
        "aliases-TOTAL_FORMS": "0",
        "aliases-INITIAL_FORMS": "0",
        **fields,
    }


def textarea(page: str, name: str) -> str:
    return unescape(re.search(rf'<textarea name="{name}"[^>]*>\n?(.*?)</textarea>', page, re.DOTALL).group(1))


def test_editing_a_live_post_in_the_admin_keeps_readers_on_the_live_text(client, editor, author, moderator):
    post = workflow.publish(write(author), by=moderator)
    client.force_login(editor)

    response = client.post(
        f"/admin/posts/post/{post.pk}/change/",
        edit_form(post, post.latest_revision_id, body="Waiting words.", message="Tightened"),
    )

    assert response.status_code == 302
    post.refresh_from_db()
    assert (post.status, post.pending_status, post.body) == (Status.PUBLISHED, Status.DRAFT, "Live words.")
    assert post.latest_revision.message == "Tightened" and post.latest_revision.author == editor
    client.logout()
    assert "Live words." in client.get("/posts/a-post/").content.decode()
    client.force_login(editor)
    page = client.get(f"/admin/posts/post/{post.pk}/change/").content.decode()
    assert textarea(page, "body") == "Waiting words."
    assert "Readers still see the live revision" in page
    assert "published, with a draft of changes" in page


def test_the_later_of_two_admin_saves_is_refused_and_its_text_shown_back(client, author, editor, moderator):
    post = workflow.publish(write(author), by=moderator)
    opened = post.latest_revision_id  # both open the edit page
    client.force_login(editor)
    client.post(f"/admin/posts/post/{post.pk}/change/", edit_form(post, opened, body="The editor's words."))
    client.force_login(moderator)

    response = client.post(
        f"/admin/posts/post/{post.pk}/change/", edit_form(post, opened, body="My own words.", **DATES)
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "was changed by editor at" in unescape(page) and "Your text is kept in the form" in unescape(page)
    assert textarea(page, "body") == "My own words."
    assert not Revision.objects.filter(body="My own words.").exists()
    assert Post.objects.get(pk=post.pk).latest_revision.body == "The editor's words."


def test_an_author_submits_a_moderator_sends_back_and_the_author_reads_why(client, author, moderator):
    post = write(author)
    client.force_login(author)

    client.post(f"/admin/posts/post/{post.pk}/move/", {"action": "submit"})
    assert Post.objects.get(pk=post.pk).status == Status.IN_REVIEW

    client.force_login(moderator)
    queue = client.get("/admin/posts/postinreview/").content.decode()
    assert "A post" in queue
    response = client.post(f"/admin/posts/post/{post.pk}/move/", {"action": "send_back", "comment": "Cite the trial."})
    assert response.status_code == 302

    client.force_login(author)
    page = client.get(f"/admin/posts/post/{post.pk}/change/").content.decode()
    assert "Sent back by boss" in page and "Cite the trial." in page
    assert Post.objects.get(pk=post.pk).status == Status.DRAFT


def test_a_refused_move_says_why_and_changes_nothing(client, author, moderator):
    post = write(author)
    client.force_login(moderator)

    response = client.post(f"/admin/posts/post/{post.pk}/move/", {"action": "approve"}, follow=True)

    assert "is draft: it cannot be approved" in unescape(response.content.decode())
    assert Post.objects.get(pk=post.pk).status == Status.DRAFT

    response = client.post(f"/admin/posts/post/{post.pk}/move/", {"action": "send_back"}, follow=True)
    assert "needs a comment" in response.content.decode()


def test_an_author_cannot_approve_their_own_post_by_forging_the_form(client, author):
    post = write(author)
    workflow.submit(post, by=author)
    client.force_login(author)

    response = client.post(f"/admin/posts/post/{post.pk}/move/", {"action": "approve"}, follow=True)

    assert "You may not approve posts." in response.content.decode()
    assert Post.objects.get(pk=post.pk).status == Status.IN_REVIEW


def test_the_review_queue_lists_posts_in_review_the_longest_waiting_first(client, author, moderator):
    first, second, other = write(author), write(author, "Second", "second"), write(author, "Draft", "draft")
    workflow.submit(second, by=author)
    workflow.submit(first, by=author)
    live = workflow.publish(write(author, "Live", "live"), by=moderator)
    workflow.edit(live, by=author, content=Content("Live", "live", "Changed."), based_on=live.latest_revision)
    workflow.submit(live, by=author)
    client.force_login(moderator)

    page = client.get("/admin/posts/postinreview/").content.decode()

    titles = re.findall(r'<td class="field-post_title"><a [^>]*>([^<]+)</a>', page)
    assert titles == ["Second", "A post", "Live"]
    assert "Draft" not in titles and other.status == Status.DRAFT
    assert f'href="/admin/posts/post/{live.pk}/compare/"' in page
    client.force_login(author)
    assert client.get("/admin/posts/postinreview/").status_code == 403


def test_approving_from_the_page_a_moderator_read_is_refused_if_the_post_changed_since(client, author, moderator):
    post = write(author)
    workflow.submit(post, by=author)
    read = post.latest_revision_id
    workflow.edit(post, by=author, content=Content("A post", "a-post", "Later words."), based_on=read)
    client.force_login(moderator)

    response = client.post(f"/admin/posts/post/{post.pk}/move/", {"action": "approve", "revision": read}, follow=True)

    assert "after you opened it" in response.content.decode()
    assert Post.objects.get(pk=post.pk).status == Status.IN_REVIEW


def test_history_lists_revisions_and_actions_and_compare_shows_what_changed(client, author, moderator):
    post = workflow.publish(write(author, body="Line one.\nLine two.\nLine three."), by=moderator)
    workflow.edit(
        post,
        by=author,
        content=Content("A better post", "a-post", "Line one.\nLine 2, rewritten.\nLine three.", tags=("Zinc", "Iron")),
        based_on=post.latest_revision,
        message="Clearer",
    )
    client.force_login(moderator)

    history = client.get(f"/admin/posts/post/{post.pk}/history/").content.decode()
    assert "Clearer" in history and "live" in history and "latest, draft" in history
    assert "Published" in history and "Created" in history

    page = client.get(f"/admin/posts/post/{post.pk}/compare/").content.decode()
    assert "A <ins>better </ins>post" in page
    assert "Line <del>two</del>." in page and "Line <ins>2, rewritten</ins>." in page
    assert "<ins>Iron</ins>, Zinc" in page


def test_restoring_from_the_history_makes_an_old_revision_the_latest(client, author):
    post = write(author, body="Version one.")
    first = post.latest_revision
    second = workflow.edit(post, by=author, content=Content("A post", "a-post", "Version two."), based_on=first)
    client.force_login(author)

    response = client.post(f"/admin/posts/post/{post.pk}/restore/{first.pk}/", {"based_on": second.pk})

    assert response.status_code == 302
    post.refresh_from_db()
    assert (post.body, post.latest_revision.source) == ("Version one.", Revision.Source.RESTORE)


def test_an_author_cannot_reach_another_authors_post_by_any_admin_page(client, author):
    post = write(make_user("Author", "someone"), body="Someone's secret draft.")
    revision = post.latest_revision
    client.force_login(author)

    for url in ["history", "compare", "preview", "change"]:
        assert client.get(f"/admin/posts/post/{post.pk}/{url}/").status_code in (302, 404), url
    for url in ["move", f"restore/{revision.pk}", "here"]:
        assert client.post(f"/admin/posts/post/{post.pk}/{url}/", {"action": "submit"}).status_code == 404, url
    assert client.get(f"/admin/posts/revision/{revision.pk}/change/").status_code == 302
    assert "secret draft" not in client.get("/admin/posts/revision/").content.decode()
    assert Post.objects.get(pk=post.pk).status == Status.DRAFT


def test_a_pasted_address_finds_its_post(client, author, moderator):
    post = workflow.publish(write(author), by=moderator)
    Alias.objects.create(path="/tiki-index.php?page=A+Post", post=post)
    write(author, "Other", "other")
    client.force_login(moderator)

    for pasted in ["https://vitamindwiki.com/posts/a-post/", "/tiki-index.php?page=A%20Post"]:
        page = client.get("/admin/posts/post/", {"q": pasted}).content.decode()
        assert re.findall(r'<th class="field-title"><a [^>]*>([^<]+)</a>', page) == ["A post"], pasted


def test_the_audit_log_is_filtered_by_user_and_action(client, author, moderator, django_user_model):
    post = write(author)
    workflow.submit(post, by=author)
    workflow.approve(post, by=moderator)
    client.force_login(moderator)

    page = client.get("/admin/posts/postaction/", {"action__exact": "approve"}).content.decode()

    assert page.count('<td class="field-action">') == 1 and "Approved" in page
    page = client.get("/admin/posts/postaction/", {"user__id__exact": author.pk}).content.decode()
    assert page.count('<td class="field-action">') == 2
    client.force_login(author)
    assert client.get("/admin/posts/postaction/").status_code == 403


def dump_zip() -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        for source in sorted(CORPUS_SEED.glob("*.md")):
            archive.writestr(source.name, source.read_bytes())
    return data.getvalue()


def test_an_admin_uploads_a_dump_dry_runs_it_then_imports_it(client, django_user_model):
    admin = make_user("Admin", "chief")
    client.force_login(admin)

    dry = client.post(
        "/admin/posts/importrun/upload/", {"dump": SimpleUploadedFile("dump.zip", dump_zip()), "dry_run": "on"}
    )
    run_worker()
    page = client.get(dry["Location"]).content.decode()
    assert "Dry run of dump.zip: done" in page and "2 created, 0 updated" in page
    assert Post.objects.count() == 0
    client.post("/admin/posts/importrun/upload/", {"dump": SimpleUploadedFile("dump.zip", dump_zip())})
    run_worker()

    assert Post.objects.count() == 2
    runs = list(ImportRun.objects.order_by("started").values_list("source", "dry_run", "succeeded", "user"))
    assert runs == [("dump.zip", True, True, admin.pk), ("dump.zip", False, True, admin.pk)]
    assert "2 created" in client.get("/admin/posts/importrun/").content.decode()


def test_an_upload_that_is_no_dump_is_refused_with_its_name(client, django_user_model):
    client.force_login(make_user("Admin", "chief"))

    response = client.post("/admin/posts/importrun/upload/", {"dump": SimpleUploadedFile("notes.txt", b"hello")})

    assert "“notes.txt” is not a .zip or a .tar.gz." in response.content.decode()
    assert not ImportRun.objects.exists()


def test_only_admins_reach_the_import_page(client, moderator):
    client.force_login(moderator)

    assert client.get("/admin/posts/importrun/upload/").status_code == 403
    upload = {"dump": SimpleUploadedFile("d.zip", dump_zip())}
    assert client.post("/admin/posts/importrun/upload/", upload).status_code == 403
    assert not ImportRun.objects.exists()


def test_posts_are_not_deleted_from_the_database_by_the_admin(client, moderator, author):
    post = write(author)
    client.force_login(moderator)

    assert client.post(f"/admin/posts/post/{post.pk}/delete/", {"post": "yes"}).status_code == 403
    client.post(f"/admin/posts/post/{post.pk}/move/", {"action": "delete"})

    assert Post.objects.get(pk=post.pk).status == Status.DELETED
    assert PostAction.objects.filter(post=post, action=PostAction.Action.DELETE).exists()


def test_the_edit_page_shows_who_else_has_it_open_until_they_leave(client, author, editor, moderator):
    post = write(author)
    client.force_login(author)
    client.get(f"/admin/posts/post/{post.pk}/change/")
    client.force_login(editor)

    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        page = client.get(f"/admin/posts/post/{post.pk}/change/").content.decode()
        assert "Also editing this post: writer." in page
        clock.shift(timedelta(seconds=40))
        assert client.post(f"/admin/posts/post/{post.pk}/here/").json() == {"others": ["writer"]}
        clock.shift(timedelta(seconds=30))  # the writer's page has not pinged for 70 seconds: closed
        assert client.post(f"/admin/posts/post/{post.pk}/here/").json() == {"others": []}


def test_the_tags_field_suggests_existing_tags(client, author):
    write(author)  # tagged Zinc
    workflow.create(by=author, content=Content("B", "b", "", tags=("Vitamin D", "Vitamin K2", "Low vitamin D")))
    client.force_login(author)

    assert client.get("/admin/posts/post/tag-names/", {"q": "vitamin"}).json() == {
        "tags": ["Vitamin D", "Vitamin K2", "Low vitamin D"]
    }
    assert client.get("/admin/posts/post/tag-names/", {"q": "zi"}).json() == {"tags": ["Zinc"]}
    client.logout()
    assert client.get("/admin/posts/post/tag-names/", {"q": "zi"}).status_code == 302


def test_the_post_list_runs_as_many_queries_for_40_posts_as_for_4(client, author, moderator):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/admin/posts/post/").status_code == 200
        return len(captured)

    for n in range(4):
        workflow.submit(write(author, f"Post {n}", f"post-{n}"), by=author)
    client.force_login(moderator)
    few = queries()
    for n in range(4, 40):
        workflow.publish(write(author, f"Post {n}", f"post-{n}"), by=moderator)

    assert queries() == few


def test_a_refused_save_shows_their_version_beside_yours_and_a_second_save_keeps_yours(client, author, editor):
    post = write(author, body="Shared first line.\nOriginal second line.")
    opened = post.latest_revision_id
    client.force_login(author)
    theirs = "Shared first line.\nTheir second line."
    client.post(f"/admin/posts/post/{post.pk}/change/", edit_form(post, opened, body=theirs))
    client.force_login(editor)
    mine = "Shared first line.\nMy second line."

    page = unescape(
        client.post(f"/admin/posts/post/{post.pk}/change/", edit_form(post, opened, body=mine)).content.decode()
    )

    assert "Their version (writer," in page
    assert "<del>Their</del> second line." in page and "<ins>My</ins> second line." in page
    based_on = re.search(r'name="based_on" value="(\d+)"', page).group(1)
    assert int(based_on) == Post.objects.get(pk=post.pk).latest_revision_id

    client.post(f"/admin/posts/post/{post.pk}/change/", edit_form(post, based_on, body=mine))
    assert Post.objects.get(pk=post.pk).body == mine


def test_a_moderator_approves_for_a_date_and_time_from_the_edit_page(client, author, moderator):
    post = write(author)
    workflow.submit(post, by=author)

    with time_machine.travel(datetime(2030, 1, 7, 9, 0, tzinfo=UTC), tick=False):
        client.force_login(moderator)
        client.post(f"/admin/posts/post/{post.pk}/move/", {"action": "schedule", "at": "2030-01-08T06:30"})
        page = client.get(f"/admin/posts/post/{post.pk}/change/").content.decode()

    post.refresh_from_db()
    assert (post.status, post.publish_at) == (Status.SCHEDULED, datetime(2030, 1, 8, 6, 30, tzinfo=UTC))
    assert "goes live 8 Jan 2030, 06:30" in page

    client.force_login(moderator)
    response = client.post(f"/admin/posts/post/{post.pk}/move/", {"action": "schedule"}, follow=True)
    assert "Give the date and time to publish at." in response.content.decode()


def test_an_alias_added_on_the_edit_page_redirects_to_the_post(client, author, moderator):
    post = workflow.publish(write(author), by=moderator)
    client.force_login(moderator)

    client.post(
        f"/admin/posts/post/{post.pk}/change/",
        edit_form(
            post,
            post.latest_revision_id,
            **DATES,
            **{"aliases-TOTAL_FORMS": "1", "aliases-0-path": "/Old+Title+Of+It", "aliases-0-kind": "manual"},
        ),
    )
    client.logout()

    response = client.get("/Old+Title+Of+It")
    assert (response.status_code, response["Location"]) == (301, "/posts/a-post/")
    assert Post.objects.get(pk=post.pk).revisions.count() == 1  # an alias is no change of content


def test_preview_shows_staff_the_latest_revision_as_readers_will_see_it(client, author, moderator):
    post = workflow.publish(write(author), by=moderator)
    workflow.edit(post, by=author, content=Content("A post", "a-post", "Waiting words."), based_on=post.latest_revision)
    client.force_login(author)

    response = client.get(f"/admin/posts/post/{post.pk}/preview/", follow=True)

    assert response.redirect_chain[0][0].startswith("/preview/")
    assert "Waiting words." in response.content.decode() and "which readers cannot see" in response.content.decode()


def test_save_and_submit_saves_the_text_then_submits_it(client, author):
    post = write(author)
    client.force_login(author)

    client.post(
        f"/admin/posts/post/{post.pk}/change/",
        edit_form(post, post.latest_revision_id, body="Typed, then submitted.", _submit_for_review="1"),
    )

    post.refresh_from_db()
    assert (post.status, post.body) == (Status.IN_REVIEW, "Typed, then submitted.")


def test_an_author_cannot_change_the_dates_of_a_live_post(client, author, moderator):
    post = workflow.publish(write(author), by=moderator)
    date = post.date
    client.force_login(author)

    client.post(f"/admin/posts/post/{post.pk}/change/", edit_form(post, post.latest_revision_id, date_0="2031-01-01"))

    assert Post.objects.get(pk=post.pk).date == date


@pytest.fixture
def people(roles):
    return {role: make_user(role, role.lower()) for role in ["Author", "Editor", "Moderator"]}


def rows(page: str, table_class: str) -> list[list[str]]:
    """The text of each cell of each body row of the table of that class."""
    table = re.search(rf'<table class="{table_class}".*?<tbody>(.*?)</tbody>', page, re.DOTALL).group(1)
    return [
        [
            " ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).split())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.DOTALL)
    ]


def test_history_and_audit_log_show_a_live_post_staying_live_while_its_change_waits(people, client):
    author, editor, moderator = people["Author"], people["Editor"], people["Moderator"]
    post = workflow.create(by=author, content=Content("A post", "a-post", "Live words."))
    workflow.submit(post, by=author)
    post = workflow.approve(post, by=moderator)
    workflow.edit(post, by=editor, content=Content("A post", "a-post", "New words."), based_on=post.latest_revision)
    workflow.submit(post, by=editor)
    workflow.approve(post, by=moderator)
    client.force_login(moderator)

    history = client.get(f"/admin/posts/post/{post.pk}/history/").content.decode()
    log = client.get("/admin/posts/postaction/").content.decode()

    expected = [
        ["moderator", "Approved", "Published, with changes in review", "Published"],
        ["editor", "Submitted for review", "Published, with a draft of changes", "Published, with changes in review"],
        ["editor", "Edited", "Published", "Published, with a draft of changes"],
        ["moderator", "Approved", "In review", "Published"],
        ["author", "Submitted for review", "Draft", "In review"],
        ["author", "Created", "", "Draft"],
    ]
    assert [row[1:5] for row in rows(history, "actions-log")] == expected
    log_rows = re.findall(r"<tr>.*?</tr>", log.split("<tbody>")[1], re.DOTALL)
    states = [
        [
            unescape(re.search(rf'<td class="field-{name}">(.*?)</td>', row).group(1))
            for name in ("from_what", "to_what")
        ]
        for row in log_rows
    ]
    assert states == [[before or "-", after] for _, _, before, after in expected]


def test_the_compare_page_shows_hostile_titles_and_bodies_as_text(people, client):
    author = people["Author"]
    same = "<b>same</b> <script>alert(1)</script>"
    post = workflow.create(
        by=author,
        content=Content(
            "<em>Old</em> title",
            "a-post",
            f"{same}\nold <img src=x onerror=alert(2)> line <audio src=x onerror=alert(3)>\n"
            f"<svg onload=alert(4)> gone\n{same}",
        ),
    )
    workflow.edit(
        post,
        by=author,
        content=Content(
            "<i onclick=alert(5)>New</i> title",
            "a-post",
            f"{same}\nnew <img src=x onerror=alert(2)> line <video src=x onerror=alert(6)>\n{same}\n"
            "<iframe src=javascript:alert(7)></iframe>",
        ),
        based_on=post.latest_revision,
    )
    client.force_login(people["Moderator"])

    page = client.get(f"/admin/posts/post/{post.pk}/compare/", {"a": post.revisions.last().pk}).content.decode()
    diff = page.split('<table class="diff">')[1].split("</table>")[0]

    for kind in ("equal", "replace", "delete", "insert"):
        assert f'<tr class="{kind}">' in diff, kind
    for hostile in [
        "<b>same</b>",
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(2)>",
        "<audio src=x onerror=alert(3)>",
        "<svg onload=alert(4)>",
        "<i onclick=alert(5)>",
        "<video src=x onerror=alert(6)>",
        "<iframe src=javascript:alert(7)>",
        "<em>",
    ]:
        assert hostile not in diff, hostile
        text = " ".join(unescape(re.sub(r"</?(ins|del|td|tr|th)\b[^>]*>", "", diff)).split())
        assert hostile in text, hostile
