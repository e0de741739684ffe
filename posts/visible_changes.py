"""Which saves and deletions readers can see: those, and only those, make cached pages stale
(cache.content_changed, once committed).

Readers see published posts, and the 410 pages of deleted ones; what a published post shows (its
categories, tags, attachments and aliases); and every category and tag page. A draft, a post in
review or scheduled, a change waiting for review, and whatever is set on such a post are theirs
who may edit it: saving them leaves every cached page as it is.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from taggit.models import Tag

from .cache import content_changed
from .models import Alias, Attachment, Category, Post, TaggedPost

SHOWN_STATES = (Post.Status.PUBLISHED, Post.Status.DELETED)
# What readers never see of a post: its Markdown (they see `body_html`), legacy metadata, workflow
# bookkeeping, and its article (made from the rest).
UNSEEN_FIELDS = {"body", "legacy_metadata", "pending_status", "submitted_at", "publish_at", "latest_revision",
                 "import_checksum", "created", "updated", "article"}  # fmt: skip


def _shown_fields(update_fields=None) -> list[str]:
    fields = [field for field in Post._meta.concrete_fields if field.name not in UNSEEN_FIELDS]
    if update_fields is not None:
        fields = [field for field in fields if field.name in update_fields or field.attname in update_fields]
    return [field.attname for field in fields]


def _post_saving(sender, instance: Post, update_fields, **kwargs) -> None:
    """Before a post is saved: what readers saw of it, to compare with what it becomes."""
    instance.shown_before = None
    fields, was = _shown_fields(update_fields), instance.saved_listing.get("status")
    if instance.pk is None or not fields:
        return
    if instance.saved_listing and was not in SHOWN_STATES and instance.status not in SHOWN_STATES:
        return  # neither was nor is shown: no need to read what it was
    instance.shown_before = Post.objects.filter(pk=instance.pk).values("status", *fields).first()


def _post_saved(sender, instance: Post, created: bool, update_fields, **kwargs) -> None:
    before = instance.__dict__.pop("shown_before", None)
    if not _shown_fields(update_fields):
        return
    if created or before is None:
        if instance.status in SHOWN_STATES:
            content_changed()
        return
    if before["status"] not in SHOWN_STATES and instance.status not in SHOWN_STATES:
        return
    if any(before[name] != instance.__dict__.get(name) for name in _shown_fields(update_fields)):
        content_changed()


def _post_deleted(sender, instance: Post, **kwargs) -> None:
    if instance.status in SHOWN_STATES:
        content_changed()


def _tagging_changed(sender, instance: TaggedPost, **kwargs) -> None:
    _if_published(Post.objects.filter(pk=instance.content_object_id))


def _links_changed(sender, instance, action: str, pk_set, **kwargs) -> None:
    """Categories, tags or attachments set on a post, or posts set on one of them."""
    if isinstance(instance, Post):
        if action in ("post_add", "post_remove", "post_clear") and instance.status == Post.Status.PUBLISHED:
            content_changed()
    elif action == "pre_clear":
        instance.showed_published = _posts_of(instance).published().exists()
    elif action == "post_clear" and instance.__dict__.pop("showed_published", False):
        content_changed()
    elif action in ("post_add", "post_remove"):
        _if_published(Post.objects.filter(pk__in=pk_set))


def _label_saved(sender, instance, created: bool, **kwargs) -> None:
    """A category's page is there from its creation (and the search page lists them all); a tag's
    only shows once a published post has it."""
    if sender is Category or not created:
        content_changed()


def _label_deleted(sender, instance, **kwargs) -> None:
    content_changed()


def _alias_saving(sender, instance: Alias, **kwargs) -> None:
    instance.post_before = Alias.objects.filter(pk=instance.pk).values_list("post_id", flat=True).first()


def _alias_saved(sender, instance: Alias, **kwargs) -> None:
    post_ids = {instance.post_id, instance.__dict__.pop("post_before", None)}
    if Post.objects.filter(pk__in=post_ids - {None}, status__in=SHOWN_STATES).exists():
        content_changed()


def _alias_deleted(sender, instance: Alias, **kwargs) -> None:
    if Post.objects.filter(pk=instance.post_id, status__in=SHOWN_STATES).exists():
        content_changed()


def _attachment_saved(sender, instance: Attachment, created: bool, **kwargs) -> None:
    if not created:
        _if_published(instance.posts.all())


def _attachment_deleting(sender, instance: Attachment, **kwargs) -> None:
    instance.showed_published = instance.posts.published().exists()  # its links are gone once it is deleted


def _attachment_deleted(sender, instance: Attachment, **kwargs) -> None:
    if instance.__dict__.pop("showed_published", False):
        content_changed()


def _if_published(posts) -> None:
    if posts.published().exists():
        content_changed()


def _posts_of(item):
    """The posts of a category or attachment (both have `posts`) or tag (taggit's has none)."""
    return Post.objects.filter(tags=item) if isinstance(item, Tag) else item.posts.all()


def connect_signals() -> None:
    receivers = [
        (pre_save, _post_saving, Post), (post_save, _post_saved, Post), (post_delete, _post_deleted, Post),
        (post_save, _tagging_changed, TaggedPost), (post_delete, _tagging_changed, TaggedPost),
        (post_save, _label_saved, Category), (post_delete, _label_deleted, Category),
        (post_save, _label_saved, Tag), (post_delete, _label_deleted, Tag),
        (pre_save, _alias_saving, Alias), (post_save, _alias_saved, Alias), (post_delete, _alias_deleted, Alias),
        (post_save, _attachment_saved, Attachment), (pre_delete, _attachment_deleting, Attachment),
        (post_delete, _attachment_deleted, Attachment),
    ]  # fmt: skip
    for signal, receiver, sender in receivers:
        signal.connect(receiver, sender=sender, dispatch_uid=f"vdwiki-visible-{receiver.__name__}-{sender.__name__}")
    for through in (Post.categories.through, TaggedPost, Attachment.posts.through):
        m2m_changed.connect(_links_changed, sender=through, dispatch_uid=f"vdwiki-visible-links-{through.__name__}")
