"""The admin's own pages around a post: its workflow moves, its revisions and their comparison,
restoring one, previewing the latest; and the import page. PostAdmin and ImportRunAdmin route
to them (admin.py); every change goes through the workflow (workflow/) or legacy/importer.py."""

import re
from urllib.parse import unquote, urlsplit

from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from taggit.models import Tag

from . import diff, presence, previews, tasks, workflow
from .forms import ImportForm, MoveForm
from .models import Alias, NotFound, Post, PostAction, Revision
from .paths import paths_of

Action = PostAction.Action
REFUSALS = (PermissionDenied, workflow.InvalidTransition, workflow.EditConflict, ValidationError)
TITLE_WORDS = 8
TITLES_FOUND = 10
REVIEW_MOVES = [Action.APPROVE, Action.SCHEDULE, Action.SEND_BACK]  # the comparison's buttons
POST_PATH_RE = re.compile(r"^/posts/([^/]+)/?$")
MOVE_LABELS = {
    Action.SUBMIT: "Submit for review",
    Action.APPROVE: "Approve and publish",
    Action.SCHEDULE: "Approve for this time",
    Action.SEND_BACK: "Send back",
    Action.PUBLISH: "Publish now",
    Action.UNPUBLISH: "Unpublish",
    Action.DELETE: "Delete",
    Action.UNDELETE: "Undelete",
}


def refusal_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "You may not do that."


def workflow_context(request, post: Post) -> dict:
    """What the edit page shows of the post's workflow: its state, the moves open to the user,
    its preview link, and whether readers see something older than the latest revision."""
    return {
        "post_state": workflow.describe_state(post),
        "post_moves": [(action, MOVE_LABELS[action]) for action in workflow.available(request.user, post)],
        "can_save_and_submit": workflow.may(request.user, Action.SUBMIT, post)
        and workflow.state_of(post) not in (Post.Status.IN_REVIEW, Post.Status.DELETED),
        "move_form": MoveForm(initial={"revision": post.latest_revision_id}),
        "preview_link": request.build_absolute_uri(previews.preview_url(post.latest_revision))
        if post.latest_revision_id
        else "",
        "preview_days": previews.max_age_days(),
        "public_url": request.build_absolute_uri(post.get_absolute_url()),
        "has_waiting_changes": bool(post.pending_status),
        "links_locked": not workflow.may_change_links(request.user, post),
        "editing_too": presence.here(post.pk, request.user.get_username()),
        "presence_every": presence.PING_EVERY,
        "sent_back": _sent_back(post),
    }


def _sent_back(post: Post) -> PostAction | None:
    """The moderator's comment, while the post is back with its author."""
    last_move = post.actions.exclude(action__in=[Action.CREATE, Action.EDIT, Action.RESTORE]).first()
    return last_move if last_move and last_move.action == Action.SEND_BACK else None


@require_POST
def move(request, post_id: int):
    """One workflow move on a post, from its edit page or the review queue."""
    post = _post_for(request, post_id, editing=False)
    form = MoveForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return _back(request, post)
    data = form.cleaned_data
    action, comment, revision = data["action"], data["comment"], data["revision"]
    moves = {
        Action.SUBMIT: lambda: workflow.submit(post, by=request.user, comment=comment),
        Action.APPROVE: lambda: workflow.approve(post, by=request.user, revision=revision, comment=comment),
        Action.SCHEDULE: lambda: workflow.schedule(
            post, by=request.user, at=data["at"], revision=revision, comment=comment
        ),
        Action.SEND_BACK: lambda: workflow.send_back(post, by=request.user, comment=comment),
        Action.PUBLISH: lambda: workflow.publish(post, by=request.user, revision=revision, comment=comment),
        Action.UNPUBLISH: lambda: workflow.unpublish(post, by=request.user, comment=comment),
        Action.DELETE: lambda: workflow.delete(post, by=request.user, comment=comment),
        Action.UNDELETE: lambda: workflow.undelete(post, by=request.user, comment=comment),
    }
    try:
        moved = moves[action]()
    except REFUSALS as error:
        messages.error(request, refusal_text(error))
    else:
        messages.success(request, f"“{moved}” is now {workflow.describe_state(moved)}.")
    return _back(request, post)


@require_POST
def here(request, post_id: int):
    """The edit page's ping: who else has it open."""
    post = _post_for(request, post_id, editing=False)
    return JsonResponse({"others": presence.here(post.pk, request.user.get_username())})


def tag_names(request):
    """Tag names for the tags field's suggestions: those starting with `q`, then those holding it."""
    if not request.user.has_perm("posts.view_post"):
        raise PermissionDenied
    term = request.GET.get("q", "").strip()
    if not term:
        return JsonResponse({"tags": []})
    by_use = Tag.objects.annotate(uses=Count("posts_taggedpost_items")).order_by("-uses", "name")
    names = list(by_use.filter(name__istartswith=term).values_list("name", flat=True)[:10])
    if len(names) < 10:
        holding = by_use.filter(name__icontains=term).exclude(name__in=names)
        names += holding.values_list("name", flat=True)[: 10 - len(names)]
    return JsonResponse({"tags": names})


def post_titles(request):
    """Posts whose title holds every word of `q`, for the editor's "link to a post" dialog: those
    the user may read (the published ones and their own or, for editors, all), newest first."""
    if not request.user.has_perm("posts.view_post"):
        raise PermissionDenied
    words = request.GET.get("q", "").split()[:TITLE_WORDS]
    if not words:
        return JsonResponse({"posts": []})
    posts = Post.objects.readable_by(request.user).posts()
    for word in words:
        posts = posts.filter(title__icontains=word)
    found = posts.order_by("-date", "-pk").values("title", "slug", "status")[:TITLES_FOUND]
    address = paths_of("posts:detail")
    return JsonResponse(
        {
            "posts": [
                {"title": post["title"], "url": address(post["slug"]), "state": Post.Status(post["status"]).label}
                for post in found
            ]
        }
    )


def revisions(request, post_id: int):
    """A post's history: its revisions (who, when, source, message, state) and its workflow moves."""
    post = _post_for(request, post_id, editing=False)
    revision_list = list(post.revisions.select_related("author").defer("body", "body_html"))
    for revision in revision_list:
        revision.state = _revision_state(post, revision)
    context = {
        **_admin_context(request, post, f"History of “{post}”"),
        "revisions": revision_list,
        "actions": post.actions.select_related("user", "revision")[:200],
        "can_restore": workflow.may_change(request.user, post),
    }
    return TemplateResponse(request, "admin/posts/post/revisions.html", context)


def compare(request, post_id: int):
    """Two revisions side by side: `?a=&b=`, by default the live one and the latest, or for a post
    never published, nothing and the latest. With the latest on the right, a moderator finds the
    review's moves under it; each leads on to the next post in the queue."""
    post = _post_for(request, post_id, editing=False)
    a_pk = request.GET.get("a") or post.live_revision_id
    b = _revision(post, request.GET.get("b") or post.latest_revision_id)
    a = _revision(post, a_pk) if a_pk else Revision(post=post, title="", slug="", body="", categories=[], tags=[])
    if a.pk and (a.created > b.created or (a.created == b.created and a.pk > b.pk)):
        a, b = b, a
    fields = [
        ("Title", *diff.changed_words(a.title, b.title), a.title != b.title),
        ("Slug", *diff.changed_words(a.slug, b.slug), a.slug != b.slug),
        ("Summary", *diff.changed_words(a.summary, b.summary), a.summary != b.summary),
        ("Categories", *diff.changed_names(a.categories, b.categories)),
        ("Tags", *diff.changed_names(a.tags, b.tags, ignore_case=True)),
    ]
    reviewing = b.pk == post.latest_revision_id
    context = {
        **_admin_context(request, post, f"Compare revisions of “{post}”"),
        "a": a,
        "b": b,
        "a_state": _revision_state(post, a) if a.pk else "",
        "b_state": _revision_state(post, b),
        "fields": fields,
        "body_rows": diff.side_by_side(a.body, b.body),
        "body_same": a.body == b.body,
        "can_restore": workflow.may_change(request.user, post),
        "review_moves": [action for action in REVIEW_MOVES if reviewing and workflow.can(request.user, action, post)],
        "next_url": reverse("admin:posts_postinreview_next") + f"?after={post.pk}",
        "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    return TemplateResponse(request, "admin/posts/post/compare.html", context)


def next_in_review(request):
    """Where a moderator goes after a move made from the comparison (`?after=` the post it was
    made on): back to that post while it still waits (the move was refused, and says why), else
    to the longest-waiting post, else to the dashboard."""
    if not request.user.has_perm("posts.review_post"):
        raise PermissionDenied
    waiting = Post.objects.in_review().visible_to(request.user)
    after = _int(request.GET.get("after"))
    if after is not None and waiting.filter(pk=after).exists():
        return redirect("admin:posts_post_compare", after)
    oldest = waiting.order_by("submitted_at", "pk").values_list("pk", flat=True).first()
    if oldest is None:
        messages.info(request, "Nothing is waiting for review.")
        return redirect("admin:index")
    return redirect("admin:posts_post_compare", oldest)


@require_POST
def restore(request, post_id: int, revision_id: int):
    """Make an old revision the latest again, as a new revision."""
    post = _post_for(request, post_id, editing=True)
    revision = _revision(post, revision_id)
    try:
        workflow.restore(revision, by=request.user, based_on=_int(request.POST.get("based_on")))
    except REFUSALS as error:
        messages.error(request, refusal_text(error))
        return redirect("admin:posts_post_revisions", post.pk)
    messages.success(request, f"The revision of {revision.created:%Y-%m-%d %H:%M} is the latest again, as a new one.")
    return redirect("admin:posts_post_change", post.pk)


def preview(request, post_id: int):
    """The latest revision as readers will see it once published."""
    post = _post_for(request, post_id, editing=False)
    if post.latest_revision_id is None:
        raise Http404("This post has no revision yet.")
    return HttpResponseRedirect(previews.preview_url(post.latest_revision))


def import_dump_view(request):
    """Upload a dump and queue its import (a dry run first); its page then shows its progress and
    its report. Admins only."""
    if not request.user.has_perm("posts.import_dump"):
        raise PermissionDenied("Only Admins import dumps.")
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        run = tasks.start_import(
            data["dump"], dry_run=data["dry_run"], force=data["force"], strict=data["strict"], user=request.user
        )
        title = "Dry run" if run.dry_run else "Import"
        messages.info(request, f"{title} of {run.source} queued: this page follows it until its report is ready.")
        return redirect("admin:posts_importrun_change", run.pk)
    context = {**_admin_context(request, None, "Import a legacy dump"), "form": form}
    return TemplateResponse(request, "admin/posts/importrun/upload.html", context)


def post_address(text: str) -> tuple[str, tuple[str, str] | None]:
    """(slug, None) for a pasted /posts/<slug>/ address, ("", (path, query)) for another address
    (an alias's), ("", None) for what is no address."""
    text = text.strip()
    if not text.startswith(("/", "http://", "https://")):
        return "", None
    parts = urlsplit(text)
    match = POST_PATH_RE.match(parts.path)
    if match:
        return unquote(match.group(1)), None
    return "", (parts.path, parts.query)


def _post_for(request, post_id: int, *, editing: bool) -> Post:
    """The post, if the user may see it in the admin (and edit it, for `editing`)."""
    posts = Post.objects.visible_to(request.user).select_related("latest_revision", "live_revision", "author")
    if not request.user.has_perm("posts.view_post"):
        raise PermissionDenied
    post = get_object_or_404(posts, pk=post_id)
    if editing and not workflow.may_edit(request.user, post):
        raise PermissionDenied("You may not edit this post.")
    return post


def _revision(post: Post, pk) -> Revision:
    return get_object_or_404(post.revisions.select_related("author"), pk=_int(pk))


def _revision_state(post: Post, revision: Revision) -> str:
    if revision.pk == post.live_revision_id and post.status == Post.Status.PUBLISHED:
        return "live"
    if revision.pk == post.latest_revision_id:
        return f"latest, {Post.Status(workflow.state_of(post)).label.lower()}"
    if revision.pk == post.live_revision_id:
        return "last published"
    return ""


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@require_POST
def alias_not_found(request, not_found_id: int):
    """Make an address not found an alias of the post chosen (the list's one-click button)."""
    if not request.user.has_perm("posts.view_notfound"):
        raise PermissionDenied
    not_found = NotFound.objects.filter(pk=not_found_id).first()
    if not_found is None:  # a second click, or another editor's
        messages.info(request, "That address was dealt with already.")
        return _back_to(request, "admin:posts_notfound_changelist")
    chosen = _int(request.POST.get("post"))
    linkable = Post.objects.live() | Post.objects.visible_to(request.user)
    post = linkable.filter(pk=chosen).first() if chosen and 0 < chosen < 2**63 else None
    if post is None:
        messages.error(request, "That post does not exist, or is not yours to link.")
    else:
        try:
            workflow.change_aliases(by=request.user, save=[Alias.at_normal_path(not_found.path, post=post)])
        except REFUSALS as error:
            messages.error(request, f"{not_found.path} was not made an alias: {refusal_text(error)}")
        else:
            messages.success(request, f"{not_found.path} now leads to “{post}”.")
    return _back_to(request, "admin:posts_notfound_changelist")


def _back_to(request, default: str):
    """Back to the page the form was on (a list with its filters), else to `default`."""
    back = request.META.get("HTTP_REFERER", "")
    if back and url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        return HttpResponseRedirect(back)
    return redirect(default)


def _back(request, post: Post):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return HttpResponseRedirect(target)
    return redirect("admin:posts_post_change", post.pk)


def _admin_context(request, post: Post | None, title: str) -> dict:
    return {
        **admin.site.each_context(request),
        "title": title,
        "post": post,
        "opts": Post._meta,
        "change_url": reverse("admin:posts_post_change", args=[post.pk]) if post else "",
    }


def view_on_site(request, content_type_id, object_id):
    """Django's "view on site" redirect (contenttypes' shortcut), which leads to any object's
    page: for a post, only a published one or one the user may see (`visible_to`), as an Author
    is not to be led to another author's draft."""
    model = get_object_or_404(ContentType, pk=content_type_id).model_class()
    if model is not None and issubclass(model, Post) and not _visible_post(request.user, object_id):
        raise Http404("No post here.")
    return shortcut(request, content_type_id, object_id)


def _visible_post(user, object_id: str) -> bool:
    posts = Post.objects.filter(pk=object_id) if object_id.isdigit() else Post.objects.none()
    return posts.live().exists() or posts.visible_to(user).exists()
