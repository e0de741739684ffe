"""The admin's forms: a post's edit form, an alias's and an attachment's, a workflow move, a dump to import."""

import re

from django import forms
from taggit.models import Tag

from . import limits, site_pages, workflow
from .models import Category, Post

WIDGET_PART = re.compile(r"_\d+$")  # a split widget's parts are sent as date_0, date_1


class OneLineField(forms.CharField):
    """Text kept on one line, its runs of white space one space each before its length is checked:
    a browser counts a line break typed in a text area as one character, and sends two."""

    def to_python(self, value):
        return " ".join(super().to_python(value).split())


class PostForm(forms.ModelForm):
    """A post's edit form. It edits the latest revision, which may be ahead of what readers see,
    and remembers which revision it was opened on: a save made from an older one is refused
    (workflow.EditConflict) and the form comes back with the text typed in it."""

    message = forms.CharField(
        required=False, max_length=500, help_text="What changed, for the post's history (optional)."
    )
    based_on = forms.IntegerField(required=False, widget=forms.HiddenInput)
    conflict = None  # the newer revision a refused save was not made from
    locked: list[str] = []  # fields the user may not set (read-only for them), refused if sent anyway

    class Meta:
        model = Post
        fields = [
            "title",
            "slug",
            "body",
            "written_summary",
            "categories",
            "tags",
            "author",
            "date",
            "lastmod",
            "tiki_page_id",
        ]
        field_classes = {"title": OneLineField, "written_summary": OneLineField}
        widgets = {
            # A text area, so that a long title shows whole on a phone; it is one line (OneLineField).
            "title": forms.Textarea(attrs={"rows": 1, "class": "edit-title"}),
            "written_summary": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        post, latest = self.instance, self.instance.latest_revision if self.instance.pk else None
        if latest is not None:
            self.initial["based_on"] = latest.pk
            if post.pending_status:
                self.initial.update(
                    title=latest.title,
                    slug=latest.slug,
                    body=latest.body,
                    written_summary=latest.summary,
                    categories=list(Category.objects.named(latest.categories)),
                    tags=[Tag(name=name) for name in latest.tags],
                )

    def clean_body(self):
        return _within(self.cleaned_data["body"], limits.body_problem)

    def clean_tags(self):
        return _within(self.cleaned_data["tags"], limits.tags_problem)

    def clean(self):
        cleaned = super().clean()
        sent = {WIDGET_PART.sub("", key) for key in self.data}
        forged = [name for name in self.locked if self.add_prefix(name) in sent]
        if forged:
            names = ", ".join(str(Post._meta.get_field(name).verbose_name) for name in forged)
            raise forms.ValidationError(f"You may not set a post's {names}. Nothing was saved.", code="locked")
        post = self.instance
        if not post.pk:
            return cleaned
        # Locked until the save (the admin's change view is one transaction), so the check holds.
        latest = Post.objects.select_for_update().values_list("latest_revision", flat=True).get(pk=post.pk)
        if latest is not None and cleaned.get("based_on") != latest:
            post.refresh_from_db(fields=["latest_revision"])
            self.conflict = post.latest_revision
            # Shown their version, the person may save again over it: the form is now based on it.
            self.data = self.data.copy()
            self.data[self.add_prefix("based_on")] = str(self.conflict.pk)
            raise forms.ValidationError(
                workflow.conflict_message(post, self.conflict)
                + " Your text is kept in the form; their version is compared with yours above it."
                " Merge what you need, then save again.",
                code="conflict",
            )
        return cleaned

    def content(self) -> workflow.Content:
        data = self.cleaned_data
        return workflow.Content(
            data["title"],
            data["slug"],
            data["body"],
            tuple(category.name for category in data["categories"]),
            tuple(data["tags"]),
            data["written_summary"],
        )


class SitePageForm(PostForm):
    """A site page's edit form (site_pages.py): a post's, with the page's address where a post has
    its slug, categories and tags. The slug, which names the page's revisions, is made once.
    `kind`: set by the admin for a new page."""

    kind = Post.Kind.PAGE

    class Meta(PostForm.Meta):
        fields = ["title", "body", "written_summary", "author", "path"]
        labels = {"path": "Address"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "path" in self.fields:
            self.fields["path"].required = True

    def clean_path(self):
        path = site_pages.normal_path(self.cleaned_data["path"])
        problem = site_pages.path_problem(path, self.instance if self.instance.pk else None)
        if problem:
            raise forms.ValidationError(problem, code="path")
        return path

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk and self.kind == Post.Kind.HOME_INTRODUCTION:
            problem = site_pages.page_problem(self.kind, "")
            if problem:
                raise forms.ValidationError(problem, code="introduction")
        return cleaned

    def content(self) -> workflow.Content:
        data = self.cleaned_data
        slug = self.instance.slug or site_pages.new_slug(data["title"])
        return workflow.Content(data["title"], slug, data["body"], summary=data["written_summary"])


def _within(value, problem_of):
    if problem := problem_of(value):
        raise forms.ValidationError(problem, code="limit")
    return value


class LinksForm(forms.ModelForm):
    """An alias or an attachment on its own admin page: linking it to a post readers reach is a
    moderator's move (workflow.may_change_links). `user`: set by the admin."""

    user = None

    def refuse_reached(self, posts) -> None:
        for post in posts:
            if not workflow.may_change_links(self.user, post):
                raise forms.ValidationError(workflow.links_refusal(post), code="reached")


class AliasForm(LinksForm):
    def clean_post(self):
        post = self.cleaned_data["post"]
        self.refuse_reached([post])
        return post


class AttachmentForm(LinksForm):
    def clean_posts(self):
        posts = self.cleaned_data["posts"]
        self.refuse_reached(posts.exclude(attachments=self.instance) if self.instance.pk else posts)
        return posts


class MoveForm(forms.Form):
    """A workflow move from the post's page or the review queue."""

    action = forms.ChoiceField(choices=[(action.value, action.label) for action in workflow.MOVES])
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    at = forms.DateTimeField(
        required=False, label="Publish at", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    revision = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == workflow.Action.SCHEDULE and not cleaned.get("at"):
            self.add_error("at", "Give the date and time to publish at.")
        return cleaned


class ImportForm(forms.Form):
    """A legacy dump to import from the admin."""

    dump = forms.FileField(help_text="A .zip or .tar.gz of the dump's .md files.")
    dry_run = forms.BooleanField(
        required=False, initial=True, help_text="Report what would change and write nothing. Do this first."
    )
    force = forms.BooleanField(required=False, help_text="Overwrite posts edited here since their last import.")
    strict = forms.BooleanField(required=False, help_text="Write nothing at all if any file fails.")

    def clean_dump(self):
        dump = self.cleaned_data["dump"]
        if not dump.name.lower().endswith((".zip", ".tar.gz", ".tgz")):
            raise forms.ValidationError(f"“{dump.name}” is not a .zip or a .tar.gz.")
        return dump
