"""The editors' tools around the post list: confirming bulk moves, adding and removing tags on many
posts (in the background beyond what one request can change), copying a post's link, searching the
posts' Markdown source, and a post's internal notes. PostAdmin routes to them (admin.py); every
change to a post goes through workflow.py."""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Value
from django.db.models.functions import StrIndex
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST
from django_tasks import TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist, TaskResultMismatch
from taggit.utils import parse_tags

from . import bulk_tags, limits, tasks
from .admin_views import _admin_context, _post_for
from .models import Post, PostNote

LISTED = 100  # the posts a confirmation page names; it says how many more there are
RESULTS_PER_PAGE = 20
COUNTED = 1000  # a source search counts its matches up to this many (counting every post reads every body)
WALK_CHUNK = 500  # posts whose bodies a source search reads at a time, walking a common text's matches
MATCHES_SHOWN = 3  # per post, in a source search
CONTEXT_CHARS = 80  # either side of a match
RELOAD_EVERY = 2  # seconds, the page of a background run while it is not finished
RUN_TITLES = {TaskResultStatus.SUCCESSFUL: "Tags changed", TaskResultStatus.FAILED: "The tags were not all changed"}


# Confirmations before bulk moves


def confirm_bulk(request, model_admin, queryset, done: str):
    """The page a bulk move stops at: how many posts it touches, some of them by name, and a
    button posting the same selection back with `confirmed=yes`."""
    context = {
        **_selection_context(request, model_admin, queryset),
        "title": "Are you sure?",
        "what": done,
        "action_description": _action_description(model_admin, request),
    }
    return TemplateResponse(request, "admin/posts/confirm_bulk.html", context)


def _selection_context(request, model_admin, queryset, *, listed_from=None) -> dict:
    """The selection a bulk action was given, counted; `listed_from`: the posts to name, if not
    those counted."""
    select_across = request.POST.get("select_across") == "1"
    listed_from = queryset if listed_from is None else listed_from
    listed = list(listed_from.select_related("author")[:LISTED])
    count = queryset.count()
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "action": request.POST.get("action", ""),
        "select_across": select_across,
        "selected_ids": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "count": count,
        "listed": listed,
        "unlisted": max(listed_from.count() - len(listed), 0) if len(listed) == LISTED else 0,
    }


def _action_description(model_admin, request) -> str:
    action = model_admin.get_actions(request).get(request.POST.get("action", ""))
    return str(action[2]) if action else ""


# Bulk tags


class BulkTagsForm(forms.Form):
    add = forms.CharField(required=False, label="Add tags", help_text="Separated by commas.")
    remove = forms.CharField(required=False, label="Remove tags", help_text="Separated by commas; any capitalisation.")
    message = forms.CharField(required=False, max_length=500, help_text="For each post's history (optional).")

    def clean_add(self):
        names = parse_tags(self.cleaned_data["add"])
        problem = limits.tags_problem(names)
        if problem:
            raise forms.ValidationError(problem)
        return names

    def clean_remove(self):
        return parse_tags(self.cleaned_data["remove"])

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("add") and not cleaned.get("remove"):
            raise forms.ValidationError("Name the tags to add or to remove.")
        return cleaned


def change_tags(request, model_admin, queryset):
    """The bulk tags action, in three steps posted back to the post list: choose the tags (and
    untick the posts to leave out), confirm how many posts will change, see what changed (or, for
    more than one request can change, follow the background run that changes them)."""
    excluded = _ids(request.POST.getlist("shown")) - _ids(request.POST.getlist("ticked"))
    if "leave_out" in request.POST:
        excluded = _ids(request.POST.getlist("leave_out"))
    chosen = queryset.exclude(pk__in=excluded)
    step = request.POST.get("step", "")
    form = BulkTagsForm(request.POST if step else None)
    context = {
        **_selection_context(request, model_admin, chosen, listed_from=queryset),
        "form": form,
        "excluded": sorted(excluded),
        "max_posts": bulk_tags.MAX_POSTS,
    }
    context["in_background"] = context["count"] > bulk_tags.MAX_POSTS
    if step and form.is_valid():
        add, remove, message = form.cleaned_data["add"], form.cleaned_data["remove"], form.cleaned_data["message"]
        context.update(add=add, remove=remove, message=message)
        if step == "choose":
            context.update(_planned(chosen, add, remove), title="Change the tags of these posts?")
            return TemplateResponse(request, "admin/posts/bulk_tags_confirm.html", context)
        if step == "confirm" and context["in_background"]:
            post_ids = list(chosen.order_by("pk").values_list("pk", flat=True))
            run = tasks.change_tags.enqueue(
                user_id=request.user.pk, post_ids=post_ids, add=add, remove=remove, message=message
            )
            return redirect("admin:posts_post_bulk_tags_run", run.id)
        if step == "confirm":
            outcome = bulk_tags.change_tags(
                chosen.select_related(None).only("title"), by=request.user, add=add, remove=remove, message=message
            )
            context.update(outcome=outcome.summary(), title="Tags changed")
            return TemplateResponse(request, "admin/posts/bulk_tags_done.html", context)
    context["title"] = "Add or remove tags"
    return TemplateResponse(request, "admin/posts/bulk_tags.html", context)


def bulk_tags_run(request, run_id):
    """A background bulk tags run (tasks.change_tags): how many posts it changes, while queued or
    running (the page reloads itself), then what it did. Only the user who started it, or a
    superuser, finds it."""
    try:
        run = tasks.change_tags.get_result(str(run_id))
    except (TaskResultDoesNotExist, TaskResultMismatch):
        raise Http404 from None
    if run.kwargs["user_id"] != request.user.pk and not request.user.is_superuser:
        raise Http404
    context = {
        **_admin_context(request, None, RUN_TITLES.get(run.status, "Changing tags in the background")),
        "run": run,
        "count": len(run.kwargs["post_ids"]),
        "add": run.kwargs["add"],
        "remove": run.kwargs["remove"],
        "outcome": run.return_value if run.status == TaskResultStatus.SUCCESSFUL else None,
        "reload_every": None if run.is_finished else RELOAD_EVERY,
    }
    return TemplateResponse(request, "admin/posts/bulk_tags_run.html", context)


@dataclass
class Planned:
    title: str
    before: tuple
    after: tuple


def _planned(queryset, add, remove) -> dict:
    """What the change would do: how many posts change, and the tags before and after of the first
    LISTED. The plan covers every matching post, thousands at once: whether a post changes is told
    from its tags' case-folded names (Content's rule), unless a tag is both added and removed."""
    added, removed = {name.casefold() for name in add}, {name.casefold() for name in remove}
    changing, changing_count, unchanged = [], 0, 0
    rows = queryset.select_related(None).values_list("title", "latest_revision__tags")
    for title, tags in rows.iterator(chunk_size=2000):
        names = tuple(tags or ())
        if added & removed:
            before = bulk_tags.tags_after(names, add=[], remove=[])
            changes = before != bulk_tags.tags_after(before, add=add, remove=remove)
        else:
            folded = {name.casefold() for name in names}
            changes = bool(added - folded or removed & folded)
        if not changes:
            unchanged += 1
            continue
        changing_count += 1
        if len(changing) < LISTED:
            before = bulk_tags.tags_after(names, add=[], remove=[])
            changing.append(Planned(title, before, bulk_tags.tags_after(before, add=add, remove=remove)))
    return {"changing": changing, "changing_count": changing_count, "unchanged_count": unchanged}


def _ids(values) -> set[int]:
    return {int(value) for value in values if value.isdigit()}


# Copying a post's link


def copy_link_buttons(post: Post) -> str:
    """Two buttons in the post's row: its link as Markdown and as HTML (lists.js copies them; they
    are hidden until it runs)."""
    return format_html(
        '<span class="copy-link" data-title="{}" data-path="{}" hidden>{}</span>',
        post.title,
        post.get_absolute_url(),
        format_html_join(
            " ",
            '<button type="button" data-format="{}" aria-label="Copy the link to “{}” as {}">{}</button>',
            [(kind, post.title, kind, kind) for kind in ("Markdown", "HTML")],
        ),
    )


# Source search


class SourceSearchForm(forms.Form):
    q = forms.CharField(label="Text", max_length=500, strip=False)
    exclude = forms.CharField(label="Leave out posts containing", required=False, max_length=500, strip=False)
    case_sensitive = forms.BooleanField(label="Match case", required=False)


class CappedPaginator(Paginator):
    """Pages of the posts in `found` (a subset of `posts`, ordered newest first), counted up to
    COUNTED: counting every match would read every body.

    Bodies are read as few times as may be. One unordered query, stopping at COUNTED + 1, finds
    the matches' ids and dates: fewer than that, it found them all, and a page is a slice of them
    in date order. More, and the text is common: a page is found by walking `posts` newest first
    a chunk at a time, reading the bodies of each chunk only. (Asked for `found` in date order,
    PostgreSQL takes a common text for a rare one and reads and sorts every match: 0.5 s.)"""

    def __init__(self, found, per_page: int, *, posts):
        super().__init__(found, per_page)
        self.posts = posts

    @cached_property
    def first_found(self) -> list[tuple[int, object]]:
        return list(self.object_list.order_by().values_list("pk", "date")[: COUNTED + 1])

    @cached_property
    def count(self) -> int:
        return len(self.first_found)

    @property
    def more(self) -> bool:
        return self.count > COUNTED

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        ids = self._newest_ids(top)[bottom:top]
        posts = self.object_list.in_bulk(ids)
        return self._get_page([posts[pk] for pk in ids if pk in posts], number, self)

    def _newest_ids(self, wanted: int) -> list[int]:
        """The ids of the `wanted` newest matches (or all of them, if fewer)."""
        if not self.more:
            return [pk for pk, _ in sorted(self.first_found, key=lambda found: (found[1], found[0]), reverse=True)]
        ids: list[int] = []
        walk = self.posts.order_by("-date", "-id").values_list("pk", flat=True)
        for start in range(0, walk.count(), WALK_CHUNK):
            chunk = list(walk[start : start + WALK_CHUNK])
            matched = set(self.object_list.filter(pk__in=chunk).values_list("pk", flat=True))
            ids.extend(pk for pk in chunk if pk in matched)
            if len(ids) >= wanted:
                break
        return ids


@dataclass
class SourceMatch:
    post: Post
    count: int
    snippets: list[str]


def source_search(request):
    """Posts whose Markdown source holds the exact text, among those the user may see: to find
    legacy markup to clean up."""
    if not request.user.has_perm("posts.view_post"):
        raise PermissionDenied
    form = SourceSearchForm(request.GET or None)
    context = {**_admin_context(request, None, "Search the posts' Markdown"), "form": form}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        visible = Post.objects.visible_to(request.user)
        found = matching_source(visible, data["q"], exclude=data["exclude"], case=data["case_sensitive"])
        page = CappedPaginator(found, RESULTS_PER_PAGE, posts=visible).get_page(request.GET.get("page"))
        context.update(
            page=page,
            matches=[_match(post, data["q"], data["case_sensitive"]) for post in page],
            query_string=_without_page(request.GET),
            counted=f"{COUNTED:,}",
        )
    return TemplateResponse(request, "admin/posts/post/source_search.html", context)


def matching_source(posts, text: str, *, exclude: str = "", case: bool = False):
    """The posts whose body holds `text` and not `exclude`. `icontains` narrows (PostgreSQL answers
    it from the trigram index of migration 0014); a case-sensitive search then checks the exact
    text with STRPOS/INSTR."""
    found = posts.filter(body__icontains=text)
    if case:
        found = found.alias(at=StrIndex("body", Value(text))).filter(at__gt=0)
    if exclude and case:
        found = found.alias(excluded_at=StrIndex("body", Value(exclude))).filter(excluded_at=0)
    elif exclude:
        found = found.exclude(body__icontains=exclude)
    return found.only("title", "slug", "body", "status", "pending_status", "date").order_by("-date", "-id")


def _match(post: Post, text: str, case: bool) -> SourceMatch:
    body, needle = (post.body, text) if case else (post.body.casefold(), text.casefold())
    if len(body) != len(post.body):  # casefold changed the length (ß → ss): find in the original
        body, needle = post.body.lower(), text.lower()
    starts, at = [], body.find(needle)
    while at != -1:
        starts.append(at)
        at = body.find(needle, at + max(len(needle), 1))
    snippets = [_snippet(post.body, start, len(text)) for start in starts[:MATCHES_SHOWN]]
    return SourceMatch(post, len(starts), snippets)


def _snippet(body: str, start: int, length: int) -> str:
    before = body[max(0, start - CONTEXT_CHARS) : start]
    after = body[start + length : start + length + CONTEXT_CHARS]
    return format_html(
        "{}{}<mark>{}</mark>{}{}",
        "…" if start > CONTEXT_CHARS else "",
        before,
        body[start : start + length],
        after,
        "…" if start + length + CONTEXT_CHARS < len(body) else "",
    )


def _without_page(query) -> str:
    query = query.copy()
    query.pop("page", None)
    return query.urlencode()


# Internal notes


class NoteForm(forms.ModelForm):
    class Meta:
        model = PostNote
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}


@require_POST
def add_note(request, post_id: int):
    """A note on a post, by a staff member who may see it."""
    post = _post_for(request, post_id, editing=False)
    form = NoteForm(request.POST)
    if form.is_valid():
        PostNote.objects.create(post=post, author=request.user, text=form.cleaned_data["text"])
        messages.success(request, "Note added.")
    else:
        messages.error(request, "A note needs its text, of 2,000 characters at most.")
    return redirect(_notes_url(post))


@require_POST
def delete_note(request, post_id: int, note_id: int):
    """One's own note only: another's is not found."""
    post = _post_for(request, post_id, editing=False)
    get_object_or_404(PostNote, pk=note_id, post=post, author=request.user).delete()
    messages.success(request, "Note deleted.")
    return redirect(_notes_url(post))


def _notes_url(post: Post) -> str:
    return reverse("admin:posts_post_change", args=[post.pk]) + "#notes"
