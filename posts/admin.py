import json

from django.contrib import admin, messages
from django.db import models
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from markdownx.widgets import AdminMarkdownxWidget
from taggit.admin import TagAdmin as TaggitTagAdmin
from taggit.models import Tag

from . import admin_views, diff, import_runs, workflow
from .aliases import normalize_path
from .forms import AliasForm, AttachmentForm, PostForm
from .models import Alias, Attachment, Category, ImportRun, Post, PostAction, PostInReview, Revision


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


class AliasInline(LinksOfLivePosts, admin.TabularInline):
    model = Alias
    extra = 0
    fields = ["path", "kind", "created"]
    readonly_fields = ["created"]

    def posts_of(self, post):
        return [post]

    def has_add_permission(self, request, obj):
        return super().has_add_permission(request, obj) and self.may_change(request, obj)


class TagFilter(admin.SimpleListFilter):
    """By tag: the most used ones offered, any other reached by its slug in the URL (a site has
    thousands of tags; a filter listing them all would be longer than the page)."""

    title = "tag"
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
    state of its changes."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [(state.value, state.label) for state in Post.Status] + [("pending", "Published, with changes")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "pending":
            return queryset.filter(status=Post.Status.PUBLISHED).exclude(pending_status="")
        if value in (Post.Status.DRAFT, Post.Status.IN_REVIEW, Post.Status.SCHEDULED):
            return queryset.in_state(value)
        return queryset.filter(status=value) if value else queryset


class ReadOnly:
    """For records nobody edits here (revisions, the audit log, import runs, the review queue),
    seen by those holding `view_permission` when it is set."""

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
        self._bulk(request, queryset, workflow.submit, "submitted for review")

    @admin.action(description="Approve and publish the selected posts", permissions=["review"])
    def approve_selected(self, request, queryset):
        self._bulk(request, queryset, workflow.approve, "approved and published")

    @admin.action(description="Publish the selected posts now", permissions=["publish"])
    def publish_selected(self, request, queryset):
        self._bulk(request, queryset, workflow.publish, "published")

    @admin.action(description="Unpublish the selected posts", permissions=["publish"])
    def unpublish_selected(self, request, queryset):
        self._bulk(request, queryset, workflow.unpublish, "unpublished")

    def has_review_permission(self, request):
        return request.user.has_perm("posts.review_post")

    def has_publish_permission(self, request):
        return request.user.has_perm("posts.publish_post")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # posts are deleted through the workflow, keeping revisions
        return actions


@admin.register(Post)
class PostAdmin(WorkflowAdmin):
    form = PostForm
    list_display = ["title", "state", "author", "date", "tiki_page_id", "updated"]
    list_filter = [StateFilter, "categories", TagFilter, ("author", admin.RelatedOnlyFieldListFilter), "date"]
    search_fields = ["title", "slug", "=tiki_page_id"]
    search_help_text = "Title, slug, legacy page id, or a pasted URL of the site or the old wiki."
    date_hierarchy = "date"
    autocomplete_fields = ["categories", "author"]
    readonly_fields = ["state", "created", "updated", "legacy_metadata_pretty"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [AliasInline]
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["title", "slug", "body", "categories", "tags", "message", "based_on"]}),
        ("Details", {"fields": ["state", "author", "date", "lastmod", "created", "updated"]}),
        ("Legacy", {"classes": ["collapse"], "fields": ["tiki_page_id", "legacy_metadata_pretty"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def get_readonly_fields(self, request, obj=None):
        """A post's own fields only for those who may set them (workflow.may_set_details)."""
        allowed = workflow.may_set_details(request.user, obj)
        return [*self.readonly_fields, *(name for name in workflow.DETAILS if name not in allowed)]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.locked = [name for name in PostForm.Meta.fields if name in self.get_readonly_fields(request, obj)]
        return form

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

    @admin.display(description="Legacy metadata")
    def legacy_metadata_pretty(self, post):
        return format_html("<pre>{}</pre>", json.dumps(post.legacy_metadata, indent=2, ensure_ascii=False))

    def save_model(self, request, obj, form, change):
        """The content goes through the workflow as a revision; the other fields are the post's own."""
        data = form.cleaned_data
        if not change:
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
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})


@admin.register(PostInReview)
class ReviewQueueAdmin(ReadOnly, WorkflowAdmin):
    """Posts waiting for a moderator, the longest-waiting first."""

    list_display = ["title", "state", "author", "submitted_at", "review_links"]
    list_filter = ["categories", ("author", admin.RelatedOnlyFieldListFilter), "submitted_at"]
    search_fields = ["title", "slug"]
    ordering = ["submitted_at", "pk"]
    list_display_links = None
    actions = ["approve_selected"]
    view_permission = "posts.review_post"

    def get_queryset(self, request):
        return Post.objects.in_review().select_related("author")

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(
            request, {"title": "Review queue: posts waiting for a moderator", **(extra_context or {})}
        )

    @admin.display(description="Review")
    def review_links(self, post):
        change = reverse("admin:posts_post_change", args=[post.pk])
        compare = reverse("admin:posts_post_compare", args=[post.pk])
        if post.live_revision_id:
            return format_html('<a href="{}">Open</a> · <a href="{}">Changes since live</a>', change, compare)
        return format_html('<a href="{}">Open</a>', change)


@admin.register(PostAction)
class PostActionAdmin(ReadOnly, admin.ModelAdmin):
    """The site's audit log: every workflow move, who made it and when."""

    list_display = ["created", "user", "action", "post_link", "from_what", "to_what", "comment"]
    list_filter = ["action", ("user", admin.RelatedOnlyFieldListFilter), "created"]
    list_select_related = ["user"]
    search_fields = ["post_title", "comment"]
    date_hierarchy = "created"
    show_full_result_count = False
    list_per_page = 100

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
    list_display = ["name", "slug", "post_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(post_count=Count("posts"))

    @admin.display(ordering="post_count", description="Posts")
    def post_count(self, category):
        return category.post_count


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


@admin.register(Alias)
class AliasAdmin(LinksOfLivePosts, admin.ModelAdmin):
    form = AliasForm
    list_display = ["path", "post", "kind", "created"]
    list_filter = ["kind"]
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
