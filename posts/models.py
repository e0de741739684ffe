"""vdwiki's content: posts, their revisions, categories, legacy aliases and attachments."""

import hashlib
import re
from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import unquote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.text import slugify
from taggit.managers import TaggableManager
from taggit.models import Tag, TaggedItemBase

from .aliases import hidden_address, normalize_path
from .paths import path_of
from .plaintext import without_control_characters
from .rendering import Rendered, render
from .rendering.cdn import find_attachment_urls


class PostQuerySet(models.QuerySet):
    def published(self):
        """The published posts: what every list, feed, search and archive shows. Not the site
        pages (site_pages.py), which are published too but listed nowhere."""
        return self.live().posts()

    def live(self):
        """What readers reach: the published posts and site pages."""
        return self.filter(status=Post.Status.PUBLISHED)

    def posts(self):
        return self.filter(kind=Post.Kind.POST)

    def site_pages(self):
        """The site pages (About, Contact...) and the home page's introduction, in any state."""
        return self.exclude(kind=Post.Kind.POST)

    def at(self, *paths: str):
        """The site pages at these addresses. The unique index on `path` leaves out the empty path
        of posts; SQLite uses it only if the query leaves that out in the same words, else it reads
        every post (a tenth of a 15,000-post import, one scan per batch)."""
        return self.exclude(path="").filter(path__in=paths)

    def visible_to(self, user):
        """The posts a staff member works with: all of them for those who edit others' posts or
        review, else their own."""
        if user.has_perm("posts.change_others_post") or user.has_perm("posts.review_post"):
            return self
        return self.filter(author=user) if user.is_authenticated else self.none()

    def readable_by(self, user):
        """The posts `user` may read on the public site: the published ones, and the others but
        deleted ones to those who may edit them (DESIGN.md); site pages as posts."""
        if not user.is_authenticated:
            return self.live()
        return self.live() | self.visible_to(user).existing()

    def in_review(self):
        """Posts whose latest revision waits for a moderator: new posts and changes to live ones."""
        return self.in_state("in_review")

    def scheduled(self):
        return self.in_state("scheduled")

    def in_state(self, state: str):
        """Posts whose latest revision is in `state`: those in it and published ones with changes in it."""
        return self.filter(models.Q(status=state) | models.Q(status=Post.Status.PUBLISHED, pending_status=state))

    def existing(self):
        """Every post but the deleted ones (whose URLs answer 410)."""
        return self.exclude(status=Post.Status.DELETED)


class TaggedPost(TaggedItemBase):
    """Tags on posts through a real foreign key (taggit's generic relation cannot be joined well)."""

    content_object = models.ForeignKey("Post", on_delete=models.CASCADE)

    class Meta:
        unique_together = [("content_object", "tag")]


class TagDigest(models.Model):
    """A tag's published posts in brief, for the related posts of a page: how many there are, and
    the newest few with what a page shows of them. posts/related.py keeps it current."""

    tag = models.OneToOneField(Tag, primary_key=True, on_delete=models.CASCADE, related_name="+")
    published = models.PositiveIntegerField()
    newest = models.JSONField(help_text="[id, title, slug, ISO date] of the newest published posts")

    def __str__(self):
        return f"{self.tag_id}: {self.published} published"


class CategoryQuerySet(models.QuerySet):
    """Besides `shown`, how a category is found by what names it: a category merged into another
    (CategoryAlias) is found as the one it was merged into, by every lookup here, so that its
    name in a revision or a dump and its old address never make it again."""

    def shown(self):
        """The categories readers see (not hidden)."""
        return self.filter(hidden=False)

    def named(self, names: Iterable[str]):
        """The categories of these names, as a revision holds them."""
        names = list(names)
        return self.filter(models.Q(name__in=names) | models.Q(old_names__name__in=names)).distinct()

    def called(self, name: str) -> "Category | None":
        """The category a name of the dump means, whatever its capitalisation: the one of its
        slug or name, else the one a category of its slug or name was merged into."""
        slug = Category.slug_for(name)
        return (
            self.filter(models.Q(slug=slug) | models.Q(name__iexact=name)).first()
            or self.filter(models.Q(old_names__slug=slug) | models.Q(old_names__name__iexact=name)).first()
        )

    def merged_from(self, slug: str) -> "Category | None":
        """The category the category of this old slug was merged into."""
        return self.filter(old_names__slug=slug).first()


class Category(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True, allow_unicode=True)
    description = models.TextField(blank=True)
    hidden = models.BooleanField(
        default=False,
        help_text="Kept from readers: no page, feed or link, and not named on its posts (for editors'"
        " filing, such as “Admin Only”). Its posts stay readable.",
    )

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"
        permissions = [("merge_category", "Can merge categories")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name = " ".join(without_control_characters(self.name).split())
        if not self.slug:
            self.slug = self.slug_for(self.name)
        if self._state.adding and self.name.casefold() in {n.casefold() for n in settings.VDWIKI_HIDDEN_CATEGORIES}:
            self.hidden = True
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return path_of("posts:category", self.slug)

    @staticmethod
    def slug_for(name: str) -> str:
        """The slug of a name; a name without a letter or digit ("???") gets one from its hash."""
        name = " ".join(name.split())
        return slugify(name, allow_unicode=True) or "x-" + hashlib.sha256(name.encode()).hexdigest()[:10]


class CategoryAlias(models.Model):
    """A category merged into another (posts/workflow/categories.py): its name, as revisions and
    the dump still write it, stands for `category`, and its address answers 301 to `category`'s.
    A category made again with its slug or name takes them back (receivers.py)."""

    slug = models.SlugField(max_length=200, unique=True, allow_unicode=True)
    name = models.CharField(max_length=200, db_index=True)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="old_names")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "merged category"
        verbose_name_plural = "merged categories"
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} → {self.category_id}"


RENDERED_FIELDS = ["body_html", "body_text", "summary"]


class Post(models.Model):
    """A post. Its content fields hold its latest revision, except while it is published with
    unpublished changes (`pending_status`): they then hold the live revision, what readers see,
    and `latest_revision` is ahead of them. posts/workflow/ moves posts between states."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        SCHEDULED = "scheduled", "Scheduled"
        PUBLISHED = "published", "Published"
        UNPUBLISHED = "unpublished", "Unpublished"
        DELETED = "deleted", "Deleted"

    class Kind(models.TextChoices):
        POST = "post", "Post"
        PAGE = "page", "Site page"
        HOME_INTRODUCTION = "home_intro", "Home page introduction"

    title = models.CharField(max_length=500)
    slug = models.SlugField(max_length=255, unique=True, allow_unicode=True)
    body = models.TextField(blank=True, help_text="Markdown")
    body_html = models.TextField(blank=True, editable=False)
    body_text = models.TextField(blank=True, editable=False, help_text="What readers see of the body, as text")
    written_summary = models.CharField(
        "summary",
        max_length=300,
        blank=True,
        help_text="Plain text, up to 300 characters, for lists, search results, feeds and links shared"
        " elsewhere. Left empty, the opening of the post's prose is shown.",
    )
    # What readers see as the summary: the written one, else the opening of the body's prose.
    summary = models.CharField(max_length=300, blank=True, editable=False)
    labels = models.TextField(blank=True, editable=False, help_text="Category and tag names, for search")
    article = models.JSONField(
        default=dict, blank=True, editable=False, help_text="What the post's page shows around its body (article.py)"
    )
    date = models.DateTimeField("original date", default=timezone.now, db_index=True)
    lastmod = models.DateTimeField("last modified", null=True, blank=True)
    tiki_page_id = models.PositiveIntegerField("legacy page id", null=True, blank=True, unique=True)
    legacy_metadata = models.JSONField(default=dict, blank=True)
    categories = models.ManyToManyField(Category, blank=True, related_name="posts")
    tags = TaggableManager(through=TaggedPost, blank=True)
    status = models.CharField(max_length=20, choices=Status, default=Status.DRAFT, db_index=True)
    PENDING_STATES = [(s.value, s.label) for s in (Status.DRAFT, Status.IN_REVIEW, Status.SCHEDULED)]
    pending_status = models.CharField(
        "unpublished changes",
        max_length=20,
        choices=PENDING_STATES,
        blank=True,
        editable=False,
        help_text="Where the latest revision of a published post stands while readers still see the live one",
    )
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    publish_at = models.DateTimeField("scheduled for", null=True, blank=True, editable=False, db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    live_revision = models.ForeignKey(
        "Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    latest_revision = models.ForeignKey(
        "Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    import_checksum = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    # A post, or a site page (site_pages.py): set when it is made, never changed.
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.POST, editable=False)
    path = models.CharField(
        "address",
        max_length=200,
        blank=True,
        help_text="Where readers find the page, such as /about/ or /about/team/: lower-case letters, digits"
        " and hyphens between slashes.",
    )

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["-date"]
        # Lists walk it newest first; a post page finds its neighbours with it in one step each.
        indexes = [
            models.Index(fields=["status", "-date", "-id"]),
            # With `status`'s, finds the posts in a state (in_state) without reading every post.
            models.Index(fields=["pending_status"], name="posts_post_pending_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["path"],
                condition=~models.Q(path=""),
                name="posts_post_path_unique",
                violation_error_message="Another site page has this address.",
            ),
        ]
        permissions = [
            ("change_others_post", "Can edit posts of other authors"),
            ("review_post", "Can approve or send back posts in review"),
            ("publish_post", "Can publish, schedule and unpublish posts"),
            ("import_dump", "Can import the legacy dump"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        # A post's when its kind was not loaded: lists load posts with only() the fields they show,
        # and would read each post's kind in a query of its own. What may hold pages loads it.
        kind = self.__dict__.get("kind", self.Kind.POST)
        if kind == self.Kind.PAGE:
            return self.path
        if kind == self.Kind.HOME_INTRODUCTION:
            return path_of("posts:home")
        return path_of("posts:detail", self.slug)

    @property
    def is_site_page(self) -> bool:
        return self.kind != self.Kind.POST

    def set_rendered(self, rendered: Rendered) -> None:
        """Take the body's HTML and text from its rendering, and its summary unless one is written."""
        self.body_html = rendered.html
        self.body_text = rendered.text
        self.summary = self.written_summary or rendered.summary

    @staticmethod
    def labels_for(categories: Iterable["Category"], tags: Iterable[str]) -> str:
        """The `labels` of a post in these categories with these tags (names): each name once,
        whatever its capitalisation, A to Z, hidden categories' left out (readers find nothing by
        them). Stored on the post because a full-text index cannot join (posts/search.py);
        whatever sets a post's categories or tags sets its labels too, and so does storing its
        article again after a category or tag changed (article.store_articles)."""
        names: dict[str, str] = {}
        for name in [*(category.name for category in categories if not category.hidden), *tags]:
            names.setdefault(name.casefold(), name)
        return "\n".join(names[key] for key in sorted(names))

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


WAITING_CHANGES = {
    Post.Status.DRAFT: "a draft of changes",
    Post.Status.IN_REVIEW: "changes in review",
    Post.Status.SCHEDULED: "changes scheduled",
}


def state_in_words(status: str, pending: str = "") -> str:
    """A post's state in words: "draft", "published, with changes in review"…"""
    if status == Post.Status.PUBLISHED and pending:
        return f"published, with {WAITING_CHANGES[pending]}"
    return Post.Status(status).label.lower() if status else ""


class PostInReview(Post):
    """The moderation queue in the admin: posts whose latest revision waits for a moderator."""

    class Meta:
        proxy = True
        verbose_name = "post in review"
        verbose_name_plural = "review queue"


class SitePage(Post):
    """The site pages in the admin: About, Contact, the home page's introduction (site_pages.py)."""

    class Meta:
        proxy = True
        verbose_name = "site page"
        verbose_name_plural = "site pages"


class Revision(models.Model):
    """A full snapshot of a post's content, never changed once written."""

    class Source(models.TextChoices):
        IMPORT = "import", "Import"
        EDITOR = "editor", "Editor"
        RESTORE = "restore", "Restore"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    title = models.CharField(max_length=500)
    slug = models.SlugField(max_length=255, allow_unicode=True)
    body = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    summary = models.CharField(max_length=300, blank=True)
    categories = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now, db_index=True)
    source = models.CharField(max_length=10, choices=Source, default=Source.EDITOR)
    message = models.CharField(max_length=500, blank=True)
    # The size of the change, stored when the revision is made (workflow.new_revision) for the
    # review queue: words added and removed against the post's live revision then, or for a post
    # never published, all its words added (diff.words_changed).
    words_added = models.PositiveIntegerField(default=0, editable=False)
    words_removed = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-created", "-id"]
        get_latest_by = "created"

    def __str__(self):
        return f"{self.title} ({self.get_source_display()}, {self.created:%Y-%m-%d %H:%M})"


class PostAction(models.Model):
    """One step of a post's workflow, for its history and the site's audit log."""

    class Action(models.TextChoices):
        CREATE = "create", "Created"
        EDIT = "edit", "Edited"
        RESTORE = "restore", "Restored a revision"
        SUBMIT = "submit", "Submitted for review"
        APPROVE = "approve", "Approved"
        SCHEDULE = "schedule", "Scheduled"
        SEND_BACK = "send_back", "Sent back"
        PUBLISH = "publish", "Published"
        PUBLISH_SCHEDULED = "publish_scheduled", "Published at its scheduled time"
        UNPUBLISH = "unpublish", "Unpublished"
        DELETE = "delete", "Deleted"
        UNDELETE = "undelete", "Undeleted"
        ALIASES = "aliases", "Changed aliases"
        CATEGORIES = "categories", "Merged categories"
        ATTACHMENTS = "attachments", "Changed attachments"

    # The log outlives a post removed from the database; its title says what it was.
    post = models.ForeignKey(Post, null=True, on_delete=models.SET_NULL, related_name="actions")
    post_title = models.CharField(max_length=500)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action, db_index=True)
    # The post's status (what readers get) and its waiting changes' state, before and after.
    from_state = models.CharField(max_length=20, choices=Post.Status, blank=True)
    from_pending = models.CharField(max_length=20, choices=Post.PENDING_STATES, blank=True)
    to_state = models.CharField(max_length=20, choices=Post.Status)
    to_pending = models.CharField(max_length=20, choices=Post.PENDING_STATES, blank=True)
    revision = models.ForeignKey(Revision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    comment = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now, db_index=True)
    import_run = models.ForeignKey(
        "ImportRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="actions",
        help_text="the import that did it",
    )

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["post", "-created"])]

    def __str__(self):
        return f"{self.get_action_display()}: {self.post_title}"

    @property
    def from_what(self) -> str | None:
        return state_in_words(self.from_state, self.from_pending).capitalize() or None

    @property
    def to_what(self) -> str:
        return state_in_words(self.to_state, self.to_pending).capitalize()


class PostNote(models.Model):
    """A note staff leave on a post for each other. Readers never see it: nothing public reads
    this model (pages, feeds, search, sitemaps, stored articles and previews come from revisions)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(max_length=2000)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["post", "-created"])]

    def __str__(self):
        return f"Note on {self.post_id} by {self.author_id}"


class AliasQuerySet(models.QuerySet):
    def matching(self, path: str, query: str = "", *, decoded: bool = False):
        return self.filter(path=normalize_path(path, query, decoded=decoded))


class Alias(models.Model):
    """A legacy path that answers 301 to its post, stored in the normal form of `aliases.py`."""

    class Kind(models.TextChoices):
        LEGACY_TITLE = "legacy_title", "Legacy title"
        PAGE_ID = "page_id", "Legacy page id"
        OLD_SLUG = "old_slug", "Old slug"
        OLD_ADDRESS = "old_address", "Old address of a site page"
        MANUAL = "manual", "Manual"

    path = models.CharField(max_length=1000, unique=True)
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="aliases")
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.MANUAL)
    created = models.DateTimeField(auto_now_add=True)
    # How often it answered, to find the aliases nobody follows any more.
    hits = models.PositiveBigIntegerField(default=0, db_default=0, editable=False)
    last_hit = models.DateTimeField("last used", null=True, blank=True, editable=False)

    objects = AliasQuerySet.as_manager()
    _normal_path = None  # the path once in normal form, not to be decoded again

    class Meta:
        verbose_name_plural = "aliases"
        ordering = ["path"]

    def __str__(self):
        return self.path

    def save(self, *args, **kwargs):
        self.normalize()
        super().save(*args, **kwargs)

    def clean(self):
        # Before the form's uniqueness check, so another spelling of a taken path is refused there.
        self.normalize()
        hidden = hidden_address(self.path)
        if hidden:
            raise ValidationError({"path": f"An alias at “{self.path}” would hide {hidden}."})

    def normalize(self) -> None:
        """Put the path in normal form, once: a normal form is not always its own ("%2520" is
        decoded to "%20", then to " "; "/why%3F" to "/why?", then to "/why")."""
        if self.path != self._normal_path:
            self.path = self._normal_path = normalize_path(self.path)

    @classmethod
    def at_normal_path(cls, path: str, **fields) -> "Alias":
        """An alias at a path in normal form already (an address not found's)."""
        alias = cls(path=path, **fields)
        alias._normal_path = path
        return alias

    @classmethod
    def from_db(cls, db, field_names, values):
        alias = super().from_db(db, field_names, values)
        alias._normal_path = alias.__dict__.get("path")
        return alias


class NotFound(models.Model):
    """An address readers asked for and the site does not have (a 404), counted: the ones that
    meant a post are made its aliases from the admin."""

    path = models.CharField(max_length=1000, unique=True, help_text="In the aliases' normal form.")
    hits = models.PositiveBigIntegerField(default=1)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    referrer = models.CharField(max_length=1000, blank=True, help_text="The last page that linked to it.")

    class Meta:
        verbose_name = "address not found"
        verbose_name_plural = "addresses not found"
        ordering = ["-hits", "-last_seen"]
        indexes = [models.Index(fields=["hits", "last_seen"], name="posts_notfound_hits")]

    def __str__(self):
        return self.path


class PostLink(models.Model):
    """A link a published post makes to another address of the site, with the text of its first
    such link: kept as the post changes (links.store_links), to find the links that lead nowhere."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="links")
    target = models.CharField(max_length=1000, db_index=True)
    text = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "target"], name="posts_postlink_unique")]

    def __str__(self):
        return self.target


class BrokenLink(PostLink):
    """The admin's report of the links of published posts that lead nowhere (links.broken_targets)."""

    class Meta:
        proxy = True
        verbose_name = "broken link"


class AttachmentQuerySet(models.QuerySet):
    def uploads_shown_in(self, body: str):
        """The uploaded attachments a Markdown body shows, by their URLs in the storage in use."""
        field = Attachment.file.field
        prefix = field.storage.url(field.upload_to)
        names = re.findall(re.escape(prefix) + r"(uploads/[^\s)\"'<>]+)", body)
        if not names:
            return self.none()
        return self.filter(legacy_url=None, file__in=[field.upload_to + unquote(name) for name in names])

    def stored_urls(self, legacy_urls) -> dict[str, str]:
        """Map each legacy URL we hold a stored copy of to the copy's URL."""
        if not legacy_urls:
            return {}
        stored = self.filter(legacy_url__in=legacy_urls).exclude(file="").only("legacy_url", "file")
        return {attachment.legacy_url: attachment.file.url for attachment in stored}


class Attachment(models.Model):
    """An image, PDF or other file the legacy posts linked on the old CDN."""

    class Kind(models.TextChoices):
        IMAGE = "image", "Image"
        PDF = "pdf", "PDF"
        OTHER = "other", "Other"

    legacy_url = models.URLField(max_length=1000, unique=True, null=True, blank=True, help_text="None for an upload")
    file = models.FileField(upload_to="attachments/", max_length=500, blank=True)
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.OTHER)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    checksum = models.CharField("SHA-256", max_length=64, blank=True)
    posts = models.ManyToManyField(Post, blank=True, related_name="attachments")
    created = models.DateTimeField(auto_now_add=True)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["legacy_url"]

    def __str__(self):
        return (self.legacy_url or self.file.name).rsplit("/", 1)[-1]

    @property
    def url(self) -> str:
        """Where readers fetch it: our stored copy when we have one, else the legacy URL."""
        return self.file.url if self.file else self.legacy_url


SUMMARY_ORDER = [
    "created", "updated", "unchanged", "conflicts", "failed", "revived", "aliases", "attachments",
    "attachments stored", "attachments refused", "broken links",
]  # fmt: skip


class ImportRunQuerySet(models.QuerySet):
    def abandoned(self, now=None):
        """Runs a process started and stopped giving signs of life without finishing (killed)."""
        stale = (now or timezone.now()) - timedelta(seconds=settings.VDWIKI_IMPORT_STALE_AFTER)
        return self.filter(finished__isnull=True, heartbeat__lt=stale)


class ImportRun(models.Model):
    """One run of the legacy importer, its progress while it runs and its report.

    The process doing it (the command, or the task worker for the admin's imports) writes
    `heartbeat` with its progress; a run whose heartbeat is older than
    VDWIKI_IMPORT_STALE_AFTER seconds has lost its process and is failed (`fail_abandoned`).
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting for the import worker"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Done"
        FAILED = "failed", "Done, with failures"

    source = models.CharField(max_length=1000)
    started = models.DateTimeField(default=timezone.now)
    finished = models.DateTimeField(null=True, blank=True)
    dry_run = models.BooleanField(default=False)
    forced = models.BooleanField(default=False)
    strict = models.BooleanField(default=False)
    succeeded = models.BooleanField(default=False)
    report = models.JSONField(default=dict, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    heartbeat = models.DateTimeField(null=True, blank=True, help_text="last sign of life of the process doing it")
    files_done = models.PositiveIntegerField(default=0)
    files_total = models.PositiveIntegerField(null=True, blank=True, help_text="unknown until counted")

    objects = ImportRunQuerySet.as_manager()

    class Meta:
        ordering = ["-started"]

    def __str__(self):
        return f"Import of {self.source} at {self.started:%Y-%m-%d %H:%M}"

    def summary_text(self) -> str:
        """The report's counts in the importer's order (a PostgreSQL jsonb keeps keys its own way)."""
        summary = self.report.get("summary", {})
        keys = sorted(summary, key=lambda key: SUMMARY_ORDER.index(key) if key in SUMMARY_ORDER else len(SUMMARY_ORDER))
        return ", ".join(f"{summary[key]} {key}" for key in keys)

    @property
    def state(self) -> "ImportRun.State":
        if self.finished:
            return self.State.SUCCEEDED if self.succeeded else self.State.FAILED
        if self.heartbeat is None:
            return self.State.QUEUED
        stale = timezone.now() - timedelta(seconds=settings.VDWIKI_IMPORT_STALE_AFTER)
        return self.State.FAILED if self.heartbeat < stale else self.State.RUNNING


def render_body(markdown: str) -> Rendered:
    """Render a post body as readers see it: legacy attachments point at our stored copies."""
    return render(markdown, attachments=Attachment.objects.stored_urls(find_attachment_urls(markdown)))


def preview_html(markdown: str) -> str:
    """django-markdownx's live preview (MARKDOWNX_MARKDOWNIFY_FUNCTION): exactly the public rendering."""
    return render_body(markdown).html
