"""A post's history and the site's audit log as moderators read them, and the comparison of two
revisions: what they say of a live post's waiting changes, and that they show text as text."""

import re
from html import unescape

import pytest

from posts import workflow
from posts.workflow import Content

from .factories import make_user

pytestmark = pytest.mark.django_db


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
