import json

from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html
from markdownx.widgets import AdminMarkdownxWidget

from .models import Alias, Attachment, Category, ImportRun, Post, Revision

REVISED_FIELDS = {"title", "slug", "body", "categories", "tags"}


class AliasInline(admin.TabularInline):
    model = Alias
    extra = 0
    fields = ["path", "kind", "created"]
    readonly_fields = ["created"]


class RevisionInline(admin.TabularInline):
    model = Revision
    extra = 0
    fields = ["created", "author", "source", "message", "title"]
    readonly_fields = fields
    can_delete = False
    ordering = ["-created", "-id"]
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "date", "tiki_page_id", "updated"]
    list_filter = ["status", "categories", "date"]
    search_fields = ["title", "slug", "=tiki_page_id"]
    date_hierarchy = "date"
    autocomplete_fields = ["categories", "author"]
    readonly_fields = ["live_revision", "latest_revision", "created", "updated", "legacy_metadata_pretty"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [AliasInline, RevisionInline]
    list_per_page = 50
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["title", "slug", "body", "categories", "tags", "status", "author"]}),
        ("Dates", {"fields": ["date", "lastmod", "created", "updated"]}),
        ("Legacy", {"classes": ["collapse"], "fields": ["tiki_page_id", "legacy_metadata_pretty"]}),
        ("Revisions", {"fields": ["live_revision", "latest_revision"]}),
    ]

    def get_queryset(self, request):
        posts = super().get_queryset(request)
        if request.user.has_perm("posts.change_others_post"):
            return posts
        return posts.filter(author=request.user)

    def get_readonly_fields(self, request, obj=None):
        """Only those who may publish set a post's status; only those who edit others' posts its author."""
        fields = list(self.readonly_fields)
        if not request.user.has_perm("posts.publish_post"):
            fields.append("status")
        if not request.user.has_perm("posts.change_others_post"):
            fields.append("author")
        return fields

    def save_model(self, request, obj, form, change):
        if not change and obj.author_id is None:
            obj.author = request.user
        super().save_model(request, obj, form, change)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "body":
            kwargs["widget"] = AdminMarkdownxWidget
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="Legacy metadata")
    def legacy_metadata_pretty(self, post):
        return format_html("<pre>{}</pre>", json.dumps(post.legacy_metadata, indent=2, ensure_ascii=False))

    def save_related(self, request, form, formsets, change):
        """Every change to the content is a revision; taken here, once tags and categories are saved."""
        super().save_related(request, form, formsets, change)
        if not change or REVISED_FIELDS & set(form.changed_data):
            form.instance.record_revision(by=request.user, source=Revision.Source.EDITOR)


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin):
    list_display = ["title", "post", "source", "author", "created"]
    list_filter = ["source", "created"]
    list_select_related = ["post", "author"]
    search_fields = ["title", "slug", "message"]
    raw_id_fields = ["post", "author"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


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


@admin.register(Alias)
class AliasAdmin(admin.ModelAdmin):
    list_display = ["path", "post", "kind", "created"]
    list_filter = ["kind"]
    list_select_related = ["post"]
    search_fields = ["path", "post__title", "post__slug"]
    autocomplete_fields = ["post"]
    show_full_result_count = False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "content_type", "size", "has_file"]
    list_filter = ["kind"]
    search_fields = ["legacy_url"]
    raw_id_fields = ["posts"]
    # Files come from the import and the editor's upload, both of which check their content.
    readonly_fields = ["file", "content_type", "checksum", "size"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    @admin.display(boolean=True, description="Stored")
    def has_file(self, attachment):
        return bool(attachment.file)


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ["source", "started", "finished", "dry_run", "succeeded", "summary"]
    list_filter = ["succeeded", "dry_run"]
    readonly_fields = [f.name for f in ImportRun._meta.fields if f.name != "report"] + ["report_pretty"]
    exclude = ["report"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Summary")
    def summary(self, run):
        return ", ".join(f"{key} {value}" for key, value in run.report.get("summary", {}).items())

    @admin.display(description="Report")
    def report_pretty(self, run):
        return format_html("<pre>{}</pre>", json.dumps(run.report, indent=2, ensure_ascii=False))
