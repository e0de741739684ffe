"""The editorial workflow (posts/workflow.py): who may do what, each move and each refused move,
live against latest, scheduling with a controlled clock, concurrent edits, audit and e-mail."""

import os
import signal
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from posts import workflow
from posts.models import Category, Post, PostAction, Revision
from posts.workflow import Content, EditConflict, InvalidTransition

from .databases import wait_for, worker_process
from .factories import make_user, png
from .test_tasks import run_worker

pytestmark = pytest.mark.django_db

Status = Post.Status
Action = PostAction.Action
NOW = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)  # after the real clock: the log stays in order


@pytest.fixture
def users(roles):
    return {role: make_user(role, role.lower()) for role in ["Author", "Editor", "Moderator", "Admin"]}


def content(title="A post", slug="a-post", body="First text.", categories=(), tags=(), summary=""):
    return Content(title, slug, body, tuple(categories), tuple(tags), summary)


def draft(author, **fields) -> Post:
    return workflow.create(by=author, content=content(**fields))


def in_state(state: str, author, moderator) -> Post:
    """A post by `author` brought to `state` through the workflow."""
    post = draft(author)
    if state == Status.DRAFT:
        return post
    if state == Status.DELETED:
        return workflow.delete(post, by=moderator)
    workflow.submit(post, by=author)
    if state == Status.IN_REVIEW:
        return Post.objects.get(pk=post.pk)
    if state == Status.SCHEDULED:
        return workflow.schedule(post, by=moderator, at=NOW + timedelta(days=400))
    workflow.approve(post, by=moderator)
    if state == Status.UNPUBLISHED:
        return workflow.unpublish(post, by=moderator)
    return Post.objects.get(pk=post.pk)


# Who may do what (DESIGN.md: Author writes and submits own posts, Editor edits any post and
# submits, Moderator reviews, publishes, schedules and unpublishes, Admin everything).

ALLOWED = {
    None: set(),
    "Author": {"create", "edit own", "submit", "restore", "upload"},
    "Editor": {"create", "edit own", "edit other's", "submit", "restore", "upload"},
    "Moderator": {
        "create", "edit own", "edit other's", "submit", "restore", "upload",
        "approve", "reject", "schedule", "publish", "unpublish", "delete",
    },
    "Admin": {
        "create", "edit own", "edit other's", "submit", "restore", "upload",
        "approve", "reject", "schedule", "publish", "unpublish", "delete", "import",
    },
}  # fmt: skip
ACTIONS = sorted(ALLOWED["Admin"])


def attempt(action: str, user, owner, moderator, client) -> bool:
    """Try `action` as `user` on a post `owner` wrote; whether it was allowed."""
    if action == "upload":
        if user.is_authenticated:
            client.force_login(user)
        upload = SimpleUploadedFile("pixel.png", png(), content_type="image/png")
        status = client.post("/markdownx/upload/", {"image": upload}, HTTP_X_REQUESTED_WITH="XMLHttpRequest")
        assert status.status_code in (200, 403), status.content
        return status.status_code == 200
    if action == "import":
        if user.is_authenticated:
            client.force_login(user)
        status = client.get("/admin/posts/importrun/upload/").status_code
        assert status in (200, 302, 403)
        return status == 200
    mine = user if action in {"edit own", "submit", "restore"} and user.is_authenticated else owner
    post = in_state(Status.IN_REVIEW if action in {"approve", "reject", "schedule"} else Status.DRAFT, mine, moderator)
    if action == "unpublish":
        post = workflow.publish(post, by=moderator)
    latest = post.latest_revision
    moves = {
        "create": lambda: workflow.create(by=user, content=content(slug="another")),
        "edit own": lambda: workflow.edit(post, by=user, content=content(body="Mine."), based_on=latest),
        "edit other's": lambda: workflow.edit(post, by=user, content=content(body="Theirs."), based_on=latest),
        "submit": lambda: workflow.submit(post, by=user),
        "restore": lambda: workflow.restore(latest, by=user, based_on=latest),
        "approve": lambda: workflow.approve(post, by=user),
        "reject": lambda: workflow.send_back(post, by=user, comment="Needs sources."),
        "schedule": lambda: workflow.schedule(post, by=user, at=NOW + timedelta(days=400)),
        "publish": lambda: workflow.publish(post, by=user),
        "unpublish": lambda: workflow.unpublish(post, by=user),
        "delete": lambda: workflow.delete(post, by=user),
    }
    actions_before = PostAction.objects.count()
    try:
        moves[action]()
    except PermissionDenied:
        assert PostAction.objects.count() == actions_before
        return False
    assert PostAction.objects.count() == actions_before + 1
    return True


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", [None, "Author", "Editor", "Moderator", "Admin"])
def test_each_role_may_do_exactly_what_the_design_gives_it(role, action, client, roles):
    owner = make_user("Author", "owner")
    moderator = make_user("Moderator", "boss")
    user = make_user(role, "tester") if role else AnonymousUser()

    assert attempt(action, user, owner, moderator, client) == (action in ALLOWED[role])


# Each move


def test_a_new_post_is_a_draft_with_its_first_revision(users):
    category = Category.objects.create(name="Pregnancy")

    post = draft(users["Author"], categories=["Pregnancy"], tags=["Vitamin D", "vitamin d", "Zinc"])

    revision = post.latest_revision
    assert (post.status, post.author, post.live_revision) == (Status.DRAFT, users["Author"], None)
    assert (revision.title, revision.body, revision.source) == ("A post", "First text.", Revision.Source.EDITOR)
    assert (revision.categories, revision.tags) == (["Pregnancy"], ["Vitamin D", "Zinc"])
    assert list(post.categories.all()) == [category]
    assert sorted(post.tags.names()) == ["Vitamin D", "Zinc"]
    assert "<p>First text.</p>" in post.body_html


def test_submit_then_approve_publishes_the_post(users, client):
    post = draft(users["Author"])

    workflow.submit(post, by=users["Author"], comment="Ready.")
    assert Post.objects.get(pk=post.pk).status == Status.IN_REVIEW
    assert client.get("/posts/a-post/").status_code == 404

    post = workflow.approve(post, by=users["Moderator"])

    assert (post.status, post.live_revision, post.pending_status) == (Status.PUBLISHED, post.latest_revision, "")
    assert client.get("/posts/a-post/").status_code == 200


def test_send_back_returns_the_post_to_draft_with_the_comment(users):
    post = in_state(Status.IN_REVIEW, users["Author"], users["Moderator"])

    post = workflow.send_back(post, by=users["Moderator"], comment="Cite the trial, please.")

    assert post.status == Status.DRAFT
    action = post.actions.first()
    assert (action.action, action.comment) == (Action.SEND_BACK, "Cite the trial, please.")
    assert action.user == users["Moderator"]
    assert (action.from_state, action.to_state) == (Status.IN_REVIEW, Status.DRAFT)


def test_sending_back_needs_a_comment(users):
    post = in_state(Status.IN_REVIEW, users["Author"], users["Moderator"])

    with pytest.raises(ValidationError, match="needs a comment"):
        workflow.send_back(post, by=users["Moderator"], comment="  ")
    assert Post.objects.get(pk=post.pk).status == Status.IN_REVIEW


@pytest.mark.django_db(transaction=True)  # cached pages go stale when a change is committed
def test_a_moderator_publishes_unpublishes_deletes_and_undeletes(users, client):
    post = draft(users["Author"])
    moderator = users["Moderator"]

    workflow.publish(post, by=moderator)
    assert client.get("/posts/a-post/").status_code == 200
    workflow.unpublish(post, by=moderator)
    assert client.get("/posts/a-post/").status_code == 404
    workflow.delete(post, by=moderator)
    assert client.get("/posts/a-post/").status_code == 410
    post = workflow.undelete(post, by=moderator)

    assert post.status == Status.DRAFT
    assert [a.action for a in post.actions.order_by("created", "id")] == [
        Action.CREATE, Action.PUBLISH, Action.UNPUBLISH, Action.DELETE, Action.UNDELETE
    ]  # fmt: skip


def test_scheduling_needs_a_time_to_come(users):
    post = in_state(Status.IN_REVIEW, users["Author"], users["Moderator"])

    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError, match="has passed"):
        workflow.schedule(post, by=users["Moderator"], at=NOW - timedelta(minutes=1))
    assert Post.objects.get(pk=post.pk).status == Status.IN_REVIEW


REFUSED = [
    (Status.DRAFT, "approve"),
    (Status.DRAFT, "schedule"),
    (Status.DRAFT, "send_back"),
    (Status.DRAFT, "unpublish"),
    (Status.DRAFT, "undelete"),
    (Status.IN_REVIEW, "submit"),
    (Status.IN_REVIEW, "unpublish"),
    (Status.SCHEDULED, "submit"),
    (Status.SCHEDULED, "approve"),
    (Status.PUBLISHED, "submit"),
    (Status.PUBLISHED, "approve"),
    (Status.PUBLISHED, "schedule"),
    (Status.PUBLISHED, "send_back"),
    (Status.PUBLISHED, "publish"),
    (Status.UNPUBLISHED, "approve"),
    (Status.UNPUBLISHED, "unpublish"),
    (Status.DELETED, "submit"),
    (Status.DELETED, "publish"),
    (Status.DELETED, "delete"),
    (Status.DELETED, "edit"),
]


@pytest.mark.parametrize(("state", "move"), REFUSED)
def test_a_move_the_state_does_not_allow_is_refused_and_changes_nothing(state, move, users):
    admin = users["Admin"]
    post = in_state(state, users["Author"], users["Moderator"])
    before = (post.status, post.pending_status, post.latest_revision_id, PostAction.objects.count())
    calls = {
        "submit": lambda: workflow.submit(post, by=admin),
        "approve": lambda: workflow.approve(post, by=admin),
        "schedule": lambda: workflow.schedule(post, by=admin, at=NOW + timedelta(days=400)),
        "send_back": lambda: workflow.send_back(post, by=admin, comment="No."),
        "publish": lambda: workflow.publish(post, by=admin),
        "unpublish": lambda: workflow.unpublish(post, by=admin),
        "delete": lambda: workflow.delete(post, by=admin),
        "undelete": lambda: workflow.undelete(post, by=admin),
        "edit": lambda: workflow.edit(post, by=admin, content=content(body="New"), based_on=post.latest_revision),
    }

    with pytest.raises(InvalidTransition, match="A post"):
        calls[move]()

    post.refresh_from_db()
    assert (post.status, post.pending_status, post.latest_revision_id, PostAction.objects.count()) == before


def test_the_allowed_moves_are_offered_by_state_and_right(users):
    post = in_state(Status.IN_REVIEW, users["Author"], users["Moderator"])

    assert workflow.available(users["Author"], post) == []
    assert workflow.available(users["Moderator"], post) == [
        Action.APPROVE, Action.SEND_BACK, Action.SCHEDULE, Action.PUBLISH, Action.DELETE
    ]  # fmt: skip


# Live and latest


@pytest.mark.django_db(transaction=True)  # cached pages go stale when a change is committed
def test_readers_see_the_live_text_while_a_change_waits_then_the_change_once_approved(users, client):
    post = workflow.publish(draft(users["Author"], body="The approved text."), by=users["Moderator"])
    assert "The approved text." in client.get("/posts/a-post/").content.decode()

    workflow.edit(
        post,
        by=users["Editor"],
        content=content(title="A better title", body="An unreviewed text.", tags=["New tag"]),
        based_on=post.latest_revision,
        message="Rewrote it",
    )

    post.refresh_from_db()
    assert (post.status, post.pending_status) == (Status.PUBLISHED, Status.DRAFT)
    assert workflow.describe_state(post) == "published, with a draft of changes"
    assert post.latest_revision != post.live_revision
    assert (post.title, list(post.tags.names())) == ("A post", [])
    page = client.get("/posts/a-post/").content.decode()
    assert "The approved text." in page and "unreviewed" not in page and "A better title" not in page
    assert "<mark>" not in client.get("/search/?q=unreviewed").content.decode()

    workflow.submit(post, by=users["Editor"])
    with time_machine.travel(NOW, tick=False):
        post = workflow.approve(post, by=users["Moderator"])

    page = client.get("/posts/a-post/").content.decode()
    assert "An unreviewed text." in page and "A better title" in page and "The approved text." not in page
    assert (post.live_revision, post.lastmod, list(post.tags.names())) == (post.latest_revision, NOW, ["New tag"])


def test_a_written_summary_is_versioned_and_readers_see_it_once_approved_else_the_excerpt(
    users, client, django_capture_on_commit_callbacks
):
    body = "Vitamin D levels were measured in 300 adults.\n\nThey slept longer."
    post = workflow.publish(draft(users["Author"], body=body), by=users["Moderator"])
    assert post.summary.startswith("Vitamin D levels were measured")

    written = "  A trial of\nvitamin D   and sleep.  "
    workflow.edit(post, by=users["Author"], content=content(body=body, summary=written), based_on=post.latest_revision)

    post.refresh_from_db()
    assert post.latest_revision.summary == "A trial of vitamin D and sleep."  # plain text on one line
    assert (post.written_summary, post.summary[:9]) == ("", "Vitamin D")  # readers still see the live one
    assert "A trial of vitamin D" not in client.get("/posts/a-post/").content.decode()
    workflow.submit(post, by=users["Author"])
    with django_capture_on_commit_callbacks(execute=True):  # the cached page goes stale
        post = workflow.approve(post, by=users["Moderator"])
    assert (post.written_summary, post.summary) == ("A trial of vitamin D and sleep.",) * 2
    page = client.get("/posts/a-post/").content.decode()
    assert '<meta name="description" content="A trial of vitamin D and sleep.">' in page
    assert '<meta property="og:description" content="A trial of vitamin D and sleep.">' in page

    cleared = workflow.edit(post, by=users["Moderator"], content=content(body=body), based_on=post.latest_revision)
    workflow.publish(post, by=users["Moderator"])
    post.refresh_from_db()
    assert (cleared.summary, post.written_summary) == ("", "")
    assert post.summary.startswith("Vitamin D levels were measured")  # the excerpt again

    workflow.restore(post.revisions.get(summary__startswith="A trial"), by=users["Author"], based_on=cleared)
    assert Post.objects.get(pk=post.pk).revisions.first().summary == "A trial of vitamin D and sleep."


def test_a_summary_keeps_no_control_character_which_would_break_the_feeds_xml(users, client):
    post = workflow.publish(draft(users["Author"]), by=users["Moderator"])
    typed = "Bell\x07 and\x1b escape\x7f, \u202ehere\u202c 😀"

    workflow.edit(post, by=users["Moderator"], content=content(summary=typed), based_on=post.latest_revision)
    post = workflow.publish(post, by=users["Moderator"])

    assert post.written_summary == post.latest_revision.summary == "Bell and escape, \u202ehere\u202c 😀"
    assert client.get("/feed/").status_code == client.get("/feed/atom/").status_code == 200


def test_a_title_and_tags_keep_no_control_character_which_would_break_the_feeds_xml(users, client):
    post = workflow.publish(draft(users["Author"]), by=users["Moderator"])

    typed = content(title="Vitamin D\x08 and\x00 sle\x0cep\x1b\x1f", tags=["Sle\x07ep", "\x0bZinc\x1c"])
    workflow.edit(post, by=users["Moderator"], content=typed, based_on=post.latest_revision)
    post = workflow.publish(post, by=users["Moderator"])

    assert post.title == post.latest_revision.title == "Vitamin D and sleep"
    assert post.latest_revision.tags == ["Sleep", "Zinc"]  # feeds carry tag names too
    assert client.get("/feed/").status_code == client.get("/feed/atom/").status_code == 200


def test_a_summary_longer_than_300_characters_is_refused_and_nothing_is_written(users):
    post = draft(users["Author"])

    with pytest.raises(ValidationError, match="The summary is 301 characters long; it may hold 300"):
        workflow.edit(post, by=users["Author"], content=content(summary="x" * 301), based_on=post.latest_revision)
    with pytest.raises(ValidationError, match="summary"):
        workflow.create(by=users["Author"], content=content(slug="other", summary="y " * 200))

    assert post.revisions.count() == 1 and not Post.objects.filter(slug="other").exists()
    assert (
        workflow.edit(
            post, by=users["Author"], content=content(summary="z" * 300), based_on=post.latest_revision
        ).summary
        == "z" * 300
    )


def test_an_edit_of_a_post_in_review_keeps_it_in_review_and_the_moderator_approves_what_they_read(users):
    post = in_state(Status.IN_REVIEW, users["Author"], users["Moderator"])
    read = post.latest_revision

    workflow.edit(post, by=users["Author"], content=content(body="Second thoughts."), based_on=read)

    assert Post.objects.get(pk=post.pk).status == Status.IN_REVIEW
    with pytest.raises(EditConflict, match="after you opened it"):
        workflow.approve(post, by=users["Moderator"], revision=read)
    assert Post.objects.get(pk=post.pk).status == Status.IN_REVIEW


def test_an_edit_of_a_scheduled_post_takes_it_off_the_schedule(users):
    post = in_state(Status.SCHEDULED, users["Author"], users["Moderator"])

    workflow.edit(post, by=users["Author"], content=content(body="Changed."), based_on=post.latest_revision)

    post.refresh_from_db()
    assert (post.status, post.publish_at) == (Status.DRAFT, None)


def test_unpublishing_a_post_with_waiting_changes_keeps_them_as_its_content(users):
    post = workflow.publish(draft(users["Author"]), by=users["Moderator"])
    workflow.edit(post, by=users["Author"], content=content(body="Waiting."), based_on=post.latest_revision)

    post = workflow.unpublish(post, by=users["Moderator"])

    assert (post.status, post.pending_status, post.body) == (Status.UNPUBLISHED, "", "Waiting.")


def test_saving_the_same_content_again_makes_no_revision(users):
    post = draft(users["Author"], tags=["B", "a"])

    same = workflow.edit(post, by=users["Author"], content=content(tags=["a", "B"]), based_on=post.latest_revision)

    assert same == post.latest_revision
    assert post.revisions.count() == 1


def test_restoring_an_old_revision_makes_it_the_latest_as_a_new_revision(users):
    post = draft(users["Author"], body="Version one.")
    first = post.latest_revision
    second = workflow.edit(post, by=users["Author"], content=content(body="Version two."), based_on=first)

    restored = workflow.restore(first, by=users["Author"], based_on=second)

    post.refresh_from_db()
    assert (restored.source, restored.body, post.body) == (Revision.Source.RESTORE, "Version one.", "Version one.")
    assert post.revisions.count() == 3
    assert Revision.objects.get(pk=second.pk).body == "Version two."


def test_a_slug_another_post_holds_is_refused_and_nothing_is_written(users):
    draft(users["Author"], title="Other", slug="taken")
    post = draft(users["Author"])
    revisions = Revision.objects.count()

    with pytest.raises(ValidationError, match="“taken” is taken by the post “Other”"):
        workflow.edit(post, by=users["Author"], content=content(slug="taken"), based_on=post.latest_revision)

    assert Revision.objects.count() == revisions
    assert Post.objects.get(pk=post.pk).slug == "a-post"


# Never lose work


def test_the_later_of_two_concurrent_saves_is_refused_and_the_earlier_one_kept(users):
    post = workflow.publish(draft(users["Author"]), by=users["Moderator"])
    opened = post.latest_revision  # both open the edit page on it
    workflow.edit(post, by=users["Editor"], content=content(body="The editor's words."), based_on=opened)

    with pytest.raises(EditConflict) as refused:
        workflow.edit(post, by=users["Author"], content=content(body="The author's words."), based_on=opened)

    assert "was changed by editor at" in str(refused.value)
    assert refused.value.latest.body == "The editor's words."
    post.refresh_from_db()
    assert post.latest_revision.body == "The editor's words."
    assert not Revision.objects.filter(body="The author's words.").exists()


# Scheduling, with a controlled clock


def test_scheduling_queues_the_publishing_task_for_the_scheduled_time(users):
    post = in_state(Status.IN_REVIEW, users["Author"], users["Moderator"])
    with time_machine.travel(NOW, tick=False):
        workflow.schedule(post, by=users["Moderator"], at=NOW + timedelta(hours=2))

    queued = DBTaskResult.objects.get()
    assert (queued.task_path, queued.run_after) == (
        "posts.workflow.moves.publish_due_revisions",
        NOW + timedelta(hours=2),
    )
    assert queued.status == TaskResultStatus.READY


@pytest.mark.django_db(transaction=True)  # the cached pages go stale once the publication is committed
def test_a_scheduled_post_goes_live_when_the_worker_runs_at_its_time_and_its_pages_change(users, client):
    post = in_state(Status.IN_REVIEW, users["Author"], users["Moderator"])
    with time_machine.travel(NOW, tick=False):
        workflow.schedule(post, by=users["Moderator"], at=NOW + timedelta(hours=2))

    with time_machine.travel(NOW + timedelta(hours=1, minutes=59), tick=False):
        run_worker()
        assert client.get("/posts/a-post/").status_code == 404
        assert "/posts/a-post/" not in client.get("/posts/").content.decode()  # and now cached
    with time_machine.travel(NOW + timedelta(hours=2, seconds=1), tick=False):
        run_worker()
        assert "/posts/a-post/" in client.get("/posts/").content.decode()
        assert client.get("/posts/a-post/").status_code == 200

    post.refresh_from_db()
    assert (post.status, post.publish_at, post.live_revision) == (Status.PUBLISHED, None, post.latest_revision)
    assert post.actions.first().action == Action.PUBLISH_SCHEDULED
    done = DBTaskResult.objects.get()
    assert (done.status, done.return_value) == (TaskResultStatus.SUCCESSFUL, ["a-post"])


@pytest.mark.django_db(transaction=True)
def test_scheduled_changes_to_a_live_post_replace_it_at_their_time(users, client):
    post = workflow.publish(draft(users["Author"], body="Old words."), by=users["Moderator"])
    workflow.edit(post, by=users["Author"], content=content(body="New words."), based_on=post.latest_revision)
    workflow.submit(post, by=users["Author"])
    with time_machine.travel(NOW, tick=False):
        workflow.schedule(post, by=users["Moderator"], at=NOW + timedelta(days=1))

    with time_machine.travel(NOW + timedelta(hours=23), tick=False):
        run_worker()
        assert "Old words." in client.get("/posts/a-post/").content.decode()
    with time_machine.travel(NOW + timedelta(days=1, minutes=1), tick=False):
        run_worker()
        assert "New words." in client.get("/posts/a-post/").content.decode()


def test_the_task_of_a_schedule_changed_since_publishes_nothing_and_the_new_one_publishes(users):
    author, moderator = users["Author"], users["Moderator"]
    post = in_state(Status.IN_REVIEW, author, moderator)
    with time_machine.travel(NOW, tick=False):
        workflow.schedule(post, by=moderator, at=NOW + timedelta(hours=1))
        workflow.send_back(post, by=moderator, comment="Not yet.")
        workflow.submit(post, by=author)
        workflow.schedule(post, by=moderator, at=NOW + timedelta(hours=3))

    with time_machine.travel(NOW + timedelta(hours=1, seconds=1), tick=False):
        run_worker()
    assert Post.objects.get(pk=post.pk).status == Status.SCHEDULED
    with time_machine.travel(NOW + timedelta(hours=3, seconds=1), tick=False):
        run_worker()
    assert Post.objects.get(pk=post.pk).status == Status.PUBLISHED
    assert list(DBTaskResult.objects.order_by("run_after").values_list("return_value", flat=True)) == [[], ["a-post"]]


@pytest.mark.django_db(transaction=True)  # the test database exists, to be copied
def test_a_db_worker_process_publishes_a_post_scheduled_seconds_ahead(shared_database):
    author, moderator = make_user("Author", "author"), make_user("Moderator", "moderator")
    post = in_state(Status.IN_REVIEW, author, moderator)
    at = timezone.now() + timedelta(seconds=3)
    workflow.schedule(post, by=moderator, at=at)

    worker = worker_process(shared_database)
    try:
        wait_for(lambda: Post.objects.get(pk=post.pk).status == Status.PUBLISHED, 60)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(10)

    went_live = post.actions.get(action=Action.PUBLISH_SCHEDULED).created
    assert at <= went_live < at + timedelta(seconds=30)
    assert Client().get("/posts/a-post/").status_code == 200


def test_publish_scheduled_publishes_what_is_due_and_nothing_else(users, capsys):
    moderator = users["Moderator"]
    due = in_state(Status.IN_REVIEW, users["Author"], moderator)
    later = workflow.create(by=users["Author"], content=content(title="Later", slug="later"))
    workflow.submit(later, by=users["Author"])
    with time_machine.travel(NOW, tick=False):
        workflow.schedule(due, by=moderator, at=NOW + timedelta(minutes=5))
        workflow.schedule(later, by=moderator, at=NOW + timedelta(days=2))

    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        call_command("publish_scheduled")

    assert "Published “A post” (/posts/a-post/)\n1 published." in capsys.readouterr().out
    assert Post.objects.get(pk=due.pk).status == Status.PUBLISHED
    assert Post.objects.get(pk=later.pk).status == Status.SCHEDULED
    assert workflow.next_due() == NOW + timedelta(days=2)


def test_scheduled_changes_whose_slug_was_taken_meanwhile_go_back_to_draft_saying_why(users):
    author, moderator = users["Author"], users["Moderator"]
    post = workflow.publish(draft(author), by=moderator)
    workflow.edit(post, by=author, content=content(slug="renamed"), based_on=post.latest_revision)
    workflow.submit(post, by=author)
    with time_machine.travel(NOW, tick=False):
        workflow.schedule(post, by=moderator, at=NOW + timedelta(hours=1))
    draft(author, title="Other", slug="renamed")  # free while the renaming waited

    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        assert workflow.publish_due() == []

    post.refresh_from_db()
    assert (post.status, post.pending_status, post.publish_at) == (Status.PUBLISHED, Status.DRAFT, None)
    assert post.slug == "a-post"
    assert "could not go live at its scheduled time: The slug “renamed” is taken" in post.actions.first().comment


# E-mail


def test_moderators_are_told_of_a_submission_and_the_author_of_the_decision(users, django_capture_on_commit_callbacks):
    post = draft(users["Author"])

    with django_capture_on_commit_callbacks(execute=True):
        workflow.submit(post, by=users["Author"], comment="Please look.")
    assert sorted(to for message in mail.outbox for to in message.to) == [
        "admin@example.com", "moderator@example.com"
    ]  # fmt: skip
    assert mail.outbox[0].subject == "In review: A post"
    assert "Please look." in mail.outbox[0].body and "/admin/posts/post/" in mail.outbox[0].body

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.send_back(post, by=users["Moderator"], comment="Cite the trial.")
    assert [(m.to, m.subject) for m in mail.outbox] == [(["author@example.com"], "“A post” was sent back to you")]
    assert "Cite the trial." in mail.outbox[0].body

    mail.outbox.clear()
    workflow.submit(post, by=users["Author"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.approve(post, by=users["Moderator"])
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["author@example.com"], "“A post” was approved and published")
    ]  # fmt: skip


# Audit


def test_every_move_writes_who_what_and_the_states(users):
    post = in_state(Status.PUBLISHED, users["Author"], users["Moderator"])

    log = list(post.actions.order_by("created", "id").values_list("action", "user__username", "from_state", "to_state"))

    assert log == [
        (Action.CREATE, "author", "", Status.DRAFT),
        (Action.SUBMIT, "author", Status.DRAFT, Status.IN_REVIEW),
        (Action.APPROVE, "moderator", Status.IN_REVIEW, Status.PUBLISHED),
    ]


def test_a_takedown_clears_the_schedule_and_undeleting_brings_back_a_plain_draft(users):
    post = in_state(Status.SCHEDULED, users["Author"], users["Moderator"])

    post = workflow.delete(post, by=users["Moderator"])
    assert (post.status, post.publish_at, post.submitted_at) == (Status.DELETED, None, None)
    post = workflow.undelete(post, by=users["Moderator"])

    assert (post.status, post.pending_status, post.publish_at, post.submitted_at) == (Status.DRAFT, "", None, None)
    assert workflow.next_due() is None


def test_a_live_post_can_be_taken_down_even_if_its_waiting_slug_was_taken(users):
    post = workflow.publish(draft(users["Author"]), by=users["Moderator"])
    workflow.edit(post, by=users["Author"], content=content(slug="renamed"), based_on=post.latest_revision)
    draft(users["Author"], title="Other", slug="renamed")

    post = workflow.unpublish(post, by=users["Moderator"])

    assert (post.status, post.slug, post.pending_status) == (Status.UNPUBLISHED, "a-post", "")


def test_a_mail_server_that_is_down_does_not_undo_or_fail_the_move(
    users, settings, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    post = draft(users["Author"])

    with django_capture_on_commit_callbacks(execute=True):
        workflow.submit(post, by=users["Author"])

    assert Post.objects.get(pk=post.pk).status == Status.IN_REVIEW
    assert "The workflow's e-mail could not be sent" in caplog.text


@pytest.fixture
def owner(roles):
    return make_user("Author", "owner")


def snapshot(post: Post) -> tuple:
    post = Post.objects.get(pk=post.pk)
    return post.status, post.body, post.latest_revision_id, post.revisions.count(), PostAction.objects.count()


@pytest.mark.parametrize("role", ["Author", None])
def test_a_user_who_may_not_edit_a_post_cannot_submit_it(role, owner):
    post = workflow.create(by=owner, content=Content("Theirs", "theirs", "Their draft."))
    before = snapshot(post)

    with pytest.raises(PermissionDenied):
        workflow.submit(post, by=make_user(role, "intruder"))

    assert snapshot(post) == before


@pytest.mark.parametrize("role", ["Author", None])
def test_a_user_who_may_not_edit_a_post_cannot_restore_its_revisions(role, owner):
    post = workflow.create(by=owner, content=Content("Theirs", "theirs", "First words."))
    first = post.latest_revision
    latest = workflow.edit(post, by=owner, content=Content("Theirs", "theirs", "Second words."), based_on=first)
    before = snapshot(post)

    with pytest.raises(PermissionDenied):
        workflow.restore(first, by=make_user(role, "intruder"), based_on=latest)

    assert snapshot(post) == before
