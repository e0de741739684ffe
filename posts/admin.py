import json
from datetime import timedelta
from functools import partial
from urllib.parse import quote, urlencode

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from markdownx.widgets import AdminMarkdownxWidget
from taggit.admin import TagAdmin as TaggitTagAdmin
from taggit.models import Tag

from . import admin_categories, admin_lists, admin_views, dashboard, diff, import_runs, links, workflow
from .aliases import normalize_path
from .forms import AliasForm, AttachmentForm, PostForm, SitePageForm
from .models import (
    Alias,
    Attachment,
    BrokenLink,
    Category,
    CategoryAlias,
    ImportRun,
    NotFound,
    Post,
    PostAction,
    PostInReview,
    Revision,
    SitePage,
)
from .search import similar_posts


class LinksOfLivePosts:
    """Aliases and attachments of a post readers reach are shown to its editors and changed by
    moderators (workflow.may_change_links); every change goes through the workflow's log."""

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.may_change(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self.may_change(request, obj)

    def may_change(self, request, obj) -> bool:
        return obj is None or all(workflow.may_change_links(request.user, post) for post in self.posts_of(obj))

    def get_form(self, request, obj=None, **kwargs):  # on the ModelAdmins' own pages
        form = super().get_form(request, obj, **kwargs)
        form.user = request.user
        return form


class AliasInline(LinksOfLivePosts, admin.StackedInline):
    model = Alias
    extra = 0
    fields = ["path", "kind", "created"]
    readonly_fields = ["created"]

    def posts_of(self, post):
        return [post]

    def has_add_permission(self, request, obj):
        return super().has_add_permission(request, obj) and self.may_change(request, obj)


SELECT_FILTER = "admin/posts/select_filter.html"  # a drop-down with a filter box, not a column of links


class CategoryFilter(admin.RelatedFieldListFilter):
    template = SELECT_FILTER


class AuthorFilter(admin.RelatedOnlyFieldListFilter):
    template = SELECT_FILTER


class DateFilter(admin.DateFieldListFilter):
    template = SELECT_FILTER


class ChoiceFilter(admin.ChoicesFieldListFilter):
    template = SELECT_FILTER


class TagFilter(admin.SimpleListFilter):
    """By tag: the most used ones offered, any other reached by its slug in the URL (a site has
    thousands of tags; a filter listing them all would be longer than the page)."""

    title = "tag"
    template = SELECT_FILTER
    parameter_name = "tag"
    OFFERED = 30

    def lookups(self, request, model_admin):
        tags = Tag.objects.annotate(uses=Count("posts_taggedpost_items")).order_by("-uses", "name")
        offered = [(tag.slug, tag.name) for tag in tags[: self.OFFERED]]
        chosen = self.value()
        if chosen and chosen not in dict(offered):
            offered += [(tag.slug, tag.name) for tag in Tag.objects.filter(slug=chosen)]
        return offered

    def queryset(self, request, queryset):
        return queryset.filter(tags__slug=self.value()) if self.value() else queryset


class StateFilter(admin.SimpleListFilter):
    """By workflow state: a published post with changes waiting counts as published and as the
    state of its changes. Deleted posts are left out unless asked for ("deleted" or "any")."""

    title = "state"
    parameter_name = "state"
    template = SELECT_FILTER
    ANY = "any"

    def lookups(self, request, model_admin):
        states = [(state.value, state.label) for state in Post.Status]
        return [*states, ("pending", "Published, with changes"), (self.ANY, "Any, deleted too")]

    def choices(self, changelist):
        every, *others = super().choices(changelist)
        return [{**every, "display": "All but deleted"}, *others]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset.existing()
        if value == self.ANY:
            return queryset
        if value == "pending":
            return queryset.filter(status=Post.Status.PUBLISHED).exclude(pending_status="")
        if value in (Post.Status.DRAFT, Post.Status.IN_REVIEW, Post.Status.SCHEDULED):
            return queryset.in_state(value)
        return queryset.filter(status=value) if value else queryset


class ReadOnly:
    """For records nobody edits here (revisions, the audit log, import runs, the review queue, the
    broken links), seen by those holding `view_permission` when it is set."""

    view_permission = ""

    def has_module_permission(self, request):
        return (
            request.user.has_perm(self.view_permission)
            if self.view_permission
            else super().has_module_permission(request)
        )

    def has_view_permission(self, request, obj=None):
        if self.view_permission:
            return request.user.has_perm(self.view_permission)
        return super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class WorkflowAdmin(admin.ModelAdmin):
    """What the post list and the review queue share: the state column and the bulk moves."""

    list_select_related = ["author"]
    show_full_result_count = False
    actions = ["submit_selected", "approve_selected", "publish_selected", "unpublish_selected"]

    @admin.display(description="State", ordering="status")
    def state(self, post):
        text = workflow.describe_state(post).capitalize()
        if workflow.state_of(post) == Post.Status.SCHEDULED and post.publish_at:
            return f"{text} for {post.publish_at:%Y-%m-%d %H:%M}"
        return text

    def _bulk(self, request, queryset, move, done: str):
        """A move on every selected post, once the user has confirmed it on a page saying how many
        posts it touches (admin_lists.confirm_bulk)."""
        if request.POST.get("confirmed") != "yes":
            return admin_lists.confirm_bulk(request, self, queryset, done)
        moved, refused = 0, []
        for post in queryset:
            try:
                move(post, by=request.user)
                moved += 1
            except admin_views.REFUSALS as error:
                refused.append(admin_views.refusal_text(error))
        if moved:
            self.message_user(request, f"{moved} post(s) {done}.", messages.SUCCESS)
        for reason in refused:
            self.message_user(request, reason, messages.WARNING)

    @admin.action(description="Submit the selected posts for review")
    def submit_selected(self, request, queryset):
        return self._bulk(request, queryset, workflow.submit, "submitted for review")

    @admin.action(description="Approve and publish the selected posts", permissions=["review"])
    def approve_selected(self, request, queryset):
        return self._bulk(request, queryset, workflow.approve, "approved and published")

    @admin.action(description="Publish the selected posts now", permissions=["publish"])
    def publish_selected(self, request, queryset):
        return self._bulk(request, queryset, workflow.publish, "published")

    @admin.action(description="Unpublish the selected posts", permissions=["publish"])
    def unpublish_selected(self, request, queryset):
        return self._bulk(request, queryset, workflow.unpublish, "unpublished")

    def has_review_permission(self, request):
        return request.user.has_perm("posts.review_post")

    def has_publish_permission(self, request):
        return request.user.has_perm("posts.publish_post")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # posts are deleted through the workflow, keeping revisions
        return actions


class PostChangeList(ChangeList):
    """The post list, without the columns only a post's own page reads (a body is kilobytes), and
    without the site pages, which have their own list (SitePageAdmin)."""

    HEAVY = ["body", "body_html", "body_text", "article", "legacy_metadata", "labels"]

    def get_queryset(self, request, exclude_parameters=None):
        return super().get_queryset(request, exclude_parameters).posts().defer(*self.HEAVY)


PAGE_MAIN = (None, {"fields": ["title", "body", "message", "based_on"]})
PAGE_DETAILS = ("Details", {"fields": ["state", "author", "created", "updated"]})
# A site page's edit page: a post's, with its address in place of its slug, filing and dates.
SITE_PAGE_FIELDSETS = {
    Post.Kind.PAGE: [PAGE_MAIN, ("Address", {"fields": ["path"]}), ("Summary", {"fields": ["written_summary"]}),
                     PAGE_DETAILS],
    Post.Kind.HOME_INTRODUCTION: [PAGE_MAIN, PAGE_DETAILS],
}  # fmt: skip


@admin.register(Post)
class PostAdmin(WorkflowAdmin):
    form = PostForm
    list_display = ["title", "state", "author", "short_date", "copy_links"]
    list_filter = [
        StateFilter,
        ("categories", CategoryFilter),
        TagFilter,
        ("author", AuthorFilter),
        ("date", DateFilter),
    ]
    actions = [*WorkflowAdmin.actions, "change_tags_selected"]
    search_fields = ["title", "slug", "=tiki_page_id"]
    search_help_text = "Title, slug, legacy page id, or a pasted URL of the site or the old wiki."
    date_hierarchy = "date"
    autocomplete_fields = ["categories", "author"]
    readonly_fields = ["state", "created", "updated", "legacy_metadata_pretty"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [AliasInline]
    list_per_page = 50
    # The first fieldset is the edit page's main column; the others its side panel (change_form.html).
    fieldsets = [
        (None, {"fields": ["title", "body", "message", "based_on"]}),
        ("Summary", {"fields": ["written_summary"]}),
        ("Filed under", {"fields": ["categories", "tags"]}),
        ("Address and dates", {"fields": ["slug", "date", "lastmod"]}),
        ("Details", {"fields": ["state", "author", "created", "updated"]}),
        ("Legacy", {"classes": ["collapse"], "fields": ["tiki_page_id", "legacy_metadata_pretty"]}),
    ]

    def get_queryset(self, request):
        """Posts and site pages (edited here both); the post list shows posts (PostChangeList)."""
        return super().get_queryset(request).visible_to(request.user)

    def get_changelist(self, request, **kwargs):
        return PostChangeList

    @staticmethod
    def kind_of(request, obj) -> str:
        """A post's kind; a new one's from the address of the add page (`?kind=page`)."""
        if obj is not None:
            return obj.kind
        kind = request.GET.get("kind")
        return kind if kind in Post.Kind.values else Post.Kind.POST

    def get_fieldsets(self, request, obj=None):
        return SITE_PAGE_FIELDSETS.get(self.kind_of(request, obj), self.fieldsets)

    def get_prepopulated_fields(self, request, obj=None):
        return self.prepopulated_fields if self.kind_of(request, obj) == Post.Kind.POST else {}

    def get_readonly_fields(self, request, obj=None):
        """A post's own fields only for those who may set them (workflow.may_set_details)."""
        allowed = workflow.may_set_details(request.user, obj)
        return [*self.readonly_fields, *(name for name in workflow.DETAILS if name not in allowed)]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kind = self.kind_of(request, obj)
        base = PostForm if kind == Post.Kind.POST else SitePageForm
        form = super().get_form(request, obj, change=change, **{"form": base, **kwargs})
        form.locked = [name for name in base.Meta.fields if name in self.get_readonly_fields(request, obj)]
        form.kind = kind
        return form

    def add_view(self, request, form_url="", extra_context=None):
        kind = self.kind_of(request, None)
        extra = {} if kind == Post.Kind.POST else {"title": f"Add a {Post.Kind(kind).label.lower()}"}
        return super().add_view(request, form_url, {**extra, **(extra_context or {})})

    def response_post_save_add(self, request, obj):
        if obj.is_site_page:
            return HttpResponseRedirect(reverse("admin:posts_sitepage_changelist"))
        return super().response_post_save_add(request, obj)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return super().has_change_permission(request)
        return workflow.may_change(request.user, obj)

    def response_change(self, request, obj):
        if "_submit_for_review" in request.POST:
            try:
                workflow.submit(obj, by=request.user)
                self.message_user(request, f"“{obj}” was saved and submitted for review.", messages.SUCCESS)
            except admin_views.REFUSALS as error:
                self.message_user(request, admin_views.refusal_text(error), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:posts_post_change", args=[obj.pk]))
        return super().response_change(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # the workflow's delete keeps the revisions and answers 410; see the Delete move

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "body":
            kwargs["widget"] = AdminMarkdownxWidget
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="Date", ordering="date")
    def short_date(self, post):
        return date_format(timezone.localtime(post.date), "j M Y")

    @admin.display(description="Copy link")
    def copy_links(self, post):
        return admin_lists.copy_link_buttons(post)

    @admin.action(description="Add or remove tags on the selected posts", permissions=["change"])
    def change_tags_selected(self, request, queryset):
        return admin_lists.change_tags(request, self, queryset)

    @admin.display(description="Legacy metadata")
    def legacy_metadata_pretty(self, post):
        return format_html("<pre>{}</pre>", json.dumps(post.legacy_metadata, indent=2, ensure_ascii=False))

    def save_model(self, request, obj, form, change):
        """The content goes through the workflow as a revision; the other fields are the post's own."""
        data = form.cleaned_data
        if not change:
            obj.kind = self.kind_of(request, None)
            workflow.create(by=request.user, content=form.content(), message=data["message"], post=obj)
            return
        details = {name: getattr(obj, name) for name in workflow.DETAILS if name in form.changed_data}
        if details:
            workflow.change_details(obj, by=request.user, values=details)
        workflow.edit(obj, by=request.user, content=form.content(), based_on=data["based_on"], message=data["message"])
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # Not form.save_m2m(): categories and tags are content, set by the workflow with the revision.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        formset.save(commit=False)
        changed = [alias for alias, _ in formset.changed_objects]
        workflow.change_aliases(by=request.user, save=[*formset.new_objects, *changed], delete=formset.deleted_objects)

    def get_search_results(self, request, queryset, search_term):
        """A pasted address finds its post: /posts/<slug>/, a legacy URL, or any alias."""
        slug, path = admin_views.post_address(search_term)
        if slug or path:
            found = queryset.filter(slug=slug) if slug else queryset.filter(aliases__path=normalize_path(*path))
            if found.exists():
                return found, False
        return super().get_search_results(request, queryset, search_term)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:post_id>/move/", view(admin_views.move), name="posts_post_move"),
            path("<int:post_id>/revisions/", view(admin_views.revisions), name="posts_post_revisions"),
            path("<int:post_id>/compare/", view(admin_views.compare), name="posts_post_compare"),
            path("<int:post_id>/restore/<int:revision_id>/", view(admin_views.restore), name="posts_post_restore"),
            path("<int:post_id>/preview/", view(admin_views.preview), name="posts_post_preview"),
            path("<int:post_id>/here/", view(admin_views.here), name="posts_post_here"),
            path("tag-names/", view(admin_views.tag_names), name="posts_post_tag_names"),
            path("titles/", view(admin_views.post_titles), name="posts_post_titles"),
            path("source-search/", view(admin_lists.source_search), name="posts_post_source_search"),
            path("bulk-tags/<uuid:run_id>/", view(admin_lists.bulk_tags_run), name="posts_post_bulk_tags_run"),
            path("<int:post_id>/notes/", view(admin_lists.add_note), name="posts_post_add_note"),
            path(
                "<int:post_id>/notes/<int:note_id>/delete/",
                view(admin_lists.delete_note),
                name="posts_post_delete_note",
            ),
            *super().get_urls(),
        ]

    def history_view(self, request, object_id, extra_context=None):
        return admin_views.revisions(request, int(object_id))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        form = context["adminform"].form
        if form.conflict is not None:
            # A refused save: the form is given back with its text; set the newer one beside it.
            context["conflict"] = form.conflict
            context["conflict_rows"] = diff.side_by_side(form.conflict.body, form.data.get("body", ""))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        post = self.get_object(request, object_id)
        extra = admin_views.workflow_context(request, post) if post else {}
        if post and post.is_site_page:
            extra["title"] = f"Change {post.get_kind_display().lower()}"
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})


@admin.register(SitePage)
class SitePageAdmin(WorkflowAdmin):
    """The site pages (site_pages.py): About, Contact, the home page's introduction. A page opens
    on the post's edit page, where its revisions, review and aliases are, as a post's."""

    list_display = ["page_title", "address", "kind", "state", "author"]
    list_display_links = None
    actions = []  # a few pages, each moved from its edit page or the review queue
    search_fields = ["title", "path"]
    ordering = ["kind", "path", "pk"]

    def get_queryset(self, request):
        return super().get_queryset(request).site_pages().visible_to(request.user)

    # As the posts': the proxy model's own permissions are given to no role.
    def has_module_permission(self, request):
        return request.user.has_perm("posts.view_post")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("posts.view_post")

    def has_add_permission(self, request):
        return request.user.has_perm("posts.add_post")

    def has_change_permission(self, request, obj=None):
        return False  # on the post's edit page

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        kind = request.GET.get("kind", Post.Kind.PAGE)
        return HttpResponseRedirect(reverse("admin:posts_post_add") + "?" + urlencode({"kind": kind}))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("admin:posts_post_change", args=[object_id]))

    def changelist_view(self, request, extra_context=None):
        introduction = Post.objects.existing().filter(kind=Post.Kind.HOME_INTRODUCTION).first()
        if introduction:
            introduction_url = reverse("admin:posts_post_change", args=[introduction.pk])
        else:
            introduction_url = reverse("admin:posts_sitepage_add") + "?kind=" + Post.Kind.HOME_INTRODUCTION
        context = {
            "title": "Site pages: About, Contact, the home page's introduction",
            "introduction_url": introduction_url if self.has_add_permission(request) else "",
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    @admin.display(description="Page", ordering="title")
    def page_title(self, page):
        return format_html('<a href="{}">{}</a>', reverse("admin:posts_post_change", args=[page.pk]), page.title)

    @admin.display(description="Address", ordering="path")
    def address(self, page):
        if page.kind == Post.Kind.HOME_INTRODUCTION:
            return "the home page's top"
        return format_html('<a href="{}">{}</a>', page.path, page.path) if page.is_published else page.path


@admin.register(PostInReview)
class ReviewQueueAdmin(ReadOnly, WorkflowAdmin):
    """Posts waiting for a moderator, the longest-waiting first: who sent each, when, their
    message and the size of the change; a title opens the comparison, where the moves are."""

    list_display = ["post_title", "submitted", "message", "change_size", "review_links"]
    list_filter = ["categories", ("author", admin.RelatedOnlyFieldListFilter), "submitted_at"]
    list_select_related = ["author", "latest_revision"]
    search_fields = ["title", "slug"]
    ordering = ["submitted_at", "pk"]
    list_per_page = 50  # as the post list: rendering a row costs more than finding it
    list_display_links = None
    actions = ["approve_selected"]
    view_permission = "posts.review_post"

    def get_queryset(self, request):
        submits = PostAction.objects.filter(post=OuterRef("pk"), action=PostAction.Action.SUBMIT).order_by(
            "-created", "-pk"
        )
        return (
            Post.objects.in_review()
            .visible_to(request.user)
            .defer(*dashboard.LONG_FIELDS, "latest_revision__body", "latest_revision__body_html")
            .annotate(
                submitted_by=Subquery(submits.values("user__username")[:1]),
                submit_comment=Subquery(submits.values("comment")[:1]),
            )
        )

    def get_urls(self):
        next_view = self.admin_site.admin_view(admin_views.next_in_review)
        return [path("next/", next_view, name="posts_postinreview_next"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(
            request, {"title": "Review queue: posts waiting for a moderator", **(extra_context or {})}
        )

    @admin.display(description="Post", ordering="title")
    def post_title(self, post):
        return format_html(
            '<a href="{}">{}</a><span class="state">{}</span>',
            reverse("admin:posts_post_compare", args=[post.pk]),
            post.title,
            workflow.describe_state(post).capitalize(),
        )

    @admin.display(description="Submitted", ordering="submitted_at")
    def submitted(self, post):
        who = post.submitted_by or (post.author.get_username() if post.author else "—")
        when = timezone.localtime(post.submitted_at) if post.submitted_at else None
        return format_html("{}<br><small>{}</small>", who, f"{when:%Y-%m-%d %H:%M}" if when else "")

    @admin.display(description="Message")
    def message(self, post):
        text = (post.submit_comment or "").strip() or (post.latest_revision.message if post.latest_revision else "")
        return Truncator(text).chars(200) or "—"

    @admin.display(description="Change")
    def change_size(self, post):
        revision = post.latest_revision
        if revision is None:
            return "—"
        if post.live_revision_id is None:
            return format_html('<span class="size-new">New post, {} words</span>', revision.words_added)
        return format_html(
            '<ins class="size-added">+{}</ins> <del class="size-removed">−{}</del> words',
            revision.words_added,
            revision.words_removed,
        )

    @admin.display(description="")
    def review_links(self, post):
        return format_html('<a href="{}">Open</a>', reverse("admin:posts_post_change", args=[post.pk]))


@admin.register(PostAction)
class PostActionAdmin(ReadOnly, admin.ModelAdmin):
    """The site's audit log: every workflow move, who made it and when."""

    list_display = ["when", "user", "action", "post_link", "from_what", "to_what", "comment"]
    list_filter = [
        ("action", ChoiceFilter),
        ("user", AuthorFilter),
        ("created", DateFilter),
    ]
    list_select_related = ["user"]
    search_fields = ["post_title", "comment"]
    date_hierarchy = "created"
    show_full_result_count = False
    list_per_page = 100

    @admin.display(description="When", ordering="created")
    def when(self, action):
        return date_format(timezone.localtime(action.created), "j M Y, H:i")

    @admin.display(description="From")
    def from_what(self, action):
        return action.from_what

    @admin.display(description="To")
    def to_what(self, action):
        return action.to_what

    @admin.display(description="Post", ordering="post_title")
    def post_link(self, action):
        if action.post_id is None:
            return action.post_title
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:posts_post_revisions", args=[action.post_id]), action.post_title
        )


@admin.register(Revision)
class RevisionAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["title", "post", "source", "author", "created"]
    list_filter = ["source", "created"]
    list_select_related = ["post", "author"]
    search_fields = ["title", "slug", "message"]
    raw_id_fields = ["post", "author"]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(post__in=Post.objects.visible_to(request.user))


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "post_count", "hidden"]
    list_filter = ["hidden"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    actions = ["merge_selected"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(post_count=Count("posts"))

    @admin.display(ordering="post_count", description="Posts")
    def post_count(self, category):
        return category.post_count

    def get_urls(self):
        view = self.admin_site.admin_view(partial(admin_categories.merge, model_admin=self))
        return [path("merge/", view, name="posts_category_merge"), *super().get_urls()]

    def has_merge_permission(self, request):
        return workflow.may_merge_categories(request.user)

    @admin.action(description="Merge selected categories into…", permissions=["merge"])
    def merge_selected(self, request, queryset):
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
        return HttpResponseRedirect(reverse("admin:posts_category_merge") + "?" + urlencode({"ids": ids}))


@admin.register(CategoryAlias)
class CategoryAliasAdmin(ReadOnly, admin.ModelAdmin):
    """The names and addresses of merged categories, and the category each now means; deleting
    one (Admins) lets its address answer 404 and its name make a category again."""

    list_display = ["name", "slug", "category", "created"]
    list_select_related = ["category"]
    search_fields = ["name", "slug", "category__name"]

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm("posts.delete_categoryalias")


# taggit's own Tag admin merges tags by moving taggit's generic TaggedItem rows, which posts do not
# use (their tags are TaggedPost rows): its "Merge selected tags" said "merged" and changed no post,
# and its inline edits rows no post reads. Renaming and deleting a tag stay (receivers.py).
admin.site.unregister(Tag)


@admin.register(Tag)
class TagAdmin(TaggitTagAdmin):
    inlines = []
    actions = []

    def get_urls(self):
        return admin.ModelAdmin.get_urls(self)  # without taggit's merge-tags page


class AliasUseFilter(admin.SimpleListFilter):
    """Aliases nobody follows any more, to be found and removed."""

    title = "last used"
    parameter_name = "used"
    UNUSED_FOR = timedelta(days=365)

    def lookups(self, request, model_admin):
        return [("never", "Never"), ("not-this-year", "Not in the last 12 months")]

    def queryset(self, request, queryset):
        if self.value() == "never":
            return queryset.filter(hits=0)
        if self.value() == "not-this-year":
            return queryset.filter(Q(last_hit=None) | Q(last_hit__lt=timezone.now() - self.UNUSED_FOR))
        return queryset


@admin.register(Alias)
class AliasAdmin(LinksOfLivePosts, admin.ModelAdmin):
    form = AliasForm
    list_display = ["path", "post", "kind", "created", "hits", "last_hit"]
    list_filter = [AliasUseFilter, "kind"]
    list_select_related = ["post"]
    search_fields = ["path", "post__title", "post__slug"]
    autocomplete_fields = ["post"]
    show_full_result_count = False

    def get_queryset(self, request):
        """The aliases of published posts and of those the user may see: an alias names its post."""
        visible = Post.objects.visible_to(request.user).values("pk")
        posts = Q(post__status=Post.Status.PUBLISHED) | Q(post__in=visible)
        return super().get_queryset(request).filter(posts)

    def posts_of(self, alias):
        return [alias.post]

    def save_model(self, request, obj, form, change):
        workflow.change_aliases(by=request.user, save=[obj])

    def delete_model(self, request, obj):
        workflow.change_aliases(by=request.user, delete=[obj])

    def delete_queryset(self, request, queryset):
        workflow.change_aliases(by=request.user, delete=queryset)


class LooksLikeFilter(admin.SimpleListFilter):
    """Addresses of pages (which readers followed) apart from files (mostly scanners'
    `/wp-login.php`)."""

    title = "looks like"
    parameter_name = "looks"
    FILE = r"\.([a-z0-9]{1,5})$"
    PAGE = r"\.html?$"

    def lookups(self, request, model_admin):
        return [("page", "A page"), ("file", "A file")]

    def queryset(self, request, queryset):
        files = Q(path__iregex=self.FILE) & ~Q(path__iregex=self.PAGE)
        if self.value() == "page":
            return queryset.exclude(files)
        if self.value() == "file":
            return queryset.filter(files)
        return queryset


@admin.register(NotFound)
class NotFoundAdmin(admin.ModelAdmin):
    """The addresses readers asked for that the site does not have, most asked for first, each
    with the published posts closest to its words: one click makes it an alias of one of them."""

    list_display = ["address", "hits", "last_seen", "came_from", "closest_posts"]
    list_display_links = None
    list_filter = [LooksLikeFilter]
    search_fields = ["path", "referrer"]
    list_per_page = 25  # each row searches for its closest posts
    show_full_result_count = False
    CLOSEST = 3

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view(admin_views.alias_not_found)
        return [path("<int:not_found_id>/alias/", view, name="posts_notfound_alias"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        self.may_add_alias = request.user.has_perm("posts.add_alias")
        # The closest posts are published: aliases of those are a moderator's (may_change_links).
        self.may_alias_published = self.may_add_alias and request.user.has_perm("posts.publish_post")
        title = "Addresses not found: readers asked for them, most often first"
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    @admin.display(description="Address", ordering="path")
    def address(self, not_found):
        # Encoded: a "\" would lead off the site (browsers read "/\evil.com" as "//evil.com"), a
        # "%20" elsewhere than the address asked for.
        return format_html('<a href="{}" rel="nofollow">{}</a>', quote(not_found.path, safe="/"), not_found.path)

    @admin.display(description="Linked from")
    def came_from(self, not_found):
        referrer = not_found.referrer
        if not referrer.startswith(("https://", "http://")):
            return referrer or "—"
        return format_html('<a href="{}" rel="nofollow noreferrer">{}</a>', referrer, Truncator(referrer).chars(60))

    @admin.display(description="Make it an alias of")
    def closest_posts(self, not_found):
        closest = similar_posts(not_found.path, self.CLOSEST)
        if self.may_alias_published:
            url = reverse("admin:posts_notfound_alias", args=[not_found.pk])
            choices = format_html_join(
                "",
                '<button type="submit" class="button" formaction="{}" name="post" value="{}">{}</button> ',
                ((url, post.pk, post.title) for post in closest),
            )
        else:
            choices = format_html_join(", ", "{}", ((post.title,) for post in closest))
        if not self.may_add_alias:
            return choices or "—"
        # The path as one types it, which the form decodes ("%2520" is the "%20" a reader asked for).
        typed = quote(not_found.path, safe="/")
        another = reverse("admin:posts_alias_add") + "?" + urlencode({"path": typed})
        return format_html('<div class="alias-choices">{} <a href="{}">Another post…</a></div>', choices, another)


@admin.register(BrokenLink)
class BrokenLinkAdmin(ReadOnly, admin.ModelAdmin):
    """The links of published posts that lead a reader nowhere (after aliases), with the post and
    the link's text; worked out again whenever what readers see changes (links.py)."""

    list_display = ["in_post", "text", "leads_to"]
    list_display_links = None
    list_select_related = ["post"]
    search_fields = ["post__title", "target", "text"]
    ordering = ["post__title", "target"]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(target__in=links.broken_targets())

    def changelist_view(self, request, extra_context=None):
        title = "Broken links: links in published posts that lead nowhere"
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    @admin.display(description="In the post", ordering="post__title")
    def in_post(self, link):
        return format_html(
            '<a href="{}">{}</a> <a href="{}" class="public-link">(on the site)</a>',
            reverse("admin:posts_post_change", args=[link.post_id]),
            link.post.title,
            link.post.get_absolute_url(),
        )

    @admin.display(description="Leads to", ordering="target")
    def leads_to(self, link):
        return format_html('<a href="{}" rel="nofollow">{}</a>', link.target, link.target)


@admin.register(Attachment)
class AttachmentAdmin(LinksOfLivePosts, admin.ModelAdmin):
    form = AttachmentForm
    list_display = ["__str__", "kind", "content_type", "size", "has_file"]
    list_filter = ["kind"]
    search_fields = ["legacy_url"]
    raw_id_fields = ["posts"]
    # Files come from the import and the editor's upload, both of which check their content.
    readonly_fields = ["file", "content_type", "checksum", "size"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    show_full_result_count = False

    def posts_of(self, attachment):
        return attachment.posts.only("status", "title")

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        workflow.change_attachment(obj, by=request.user, posts=form.cleaned_data.get("posts"))

    def save_related(self, request, form, formsets, change):
        pass  # its posts were set with it, by the workflow

    def delete_model(self, request, obj):
        workflow.delete_attachments([obj], by=request.user)

    def delete_queryset(self, request, queryset):
        workflow.delete_attachments(queryset, by=request.user)

    @admin.display(boolean=True, description="Stored")
    def has_file(self, attachment):
        return bool(attachment.file)


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["source", "started", "finished", "user", "dry_run", "state", "progress", "summary"]
    list_filter = ["succeeded", "dry_run"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in ImportRun._meta.fields if f.name != "report"] + ["report_pretty"]
    exclude = ["report"]
    view_permission = "posts.import_dump"

    def get_urls(self):
        view = self.admin_site.admin_view(admin_views.import_dump_view)
        return [path("upload/", view, name="posts_importrun_upload"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        import_runs.fail_abandoned()
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The run's page: its progress while it runs (reloading itself), then its report."""
        import_runs.fail_abandoned()
        run = self.get_object(request, object_id)
        context = {"run": run, "reload_every": 2 if run and not run.finished else None, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, context)

    @admin.display(description="State")
    def state(self, run):
        return run.state.label

    @admin.display(description="Files")
    def progress(self, run):
        return f"{run.files_done:,} of {run.files_total:,}" if run.files_total is not None else f"{run.files_done:,}"

    @admin.display(description="Summary")
    def summary(self, run):
        return run.summary_text()

    @admin.display(description="Report")
    def report_pretty(self, run):
        return format_html("<pre>{}</pre>", json.dumps(run.report, indent=2, ensure_ascii=False))
