"""What other apps change behind our back: a user, category or tag saved or deleted from their own
admin pages or code. Posts show their names (articles, category and tag pages), so such a change
refreshes the posts showing them (changes.py). Every change vdwiki makes to its posts calls
`changes.refresh` itself; these are the only receivers.

A deletion is handled before it happens, while the posts it concerns can still be found: they
are let go of first (what Django's deletion would do next), so their articles are stored without
what is deleted.
"""

from django.conf import settings
from django.db.models import Q
from django.db.models.signals import post_save, pre_delete
from taggit.models import Tag

from . import changes
from .article import AUTHOR_FIELDS
from .models import Category, CategoryAlias, Post, TaggedPost


def _author_saved(sender, instance, update_fields, **kwargs) -> None:
    """A login saves only its time: no article shows that."""
    if update_fields is None or set(update_fields) & set(AUTHOR_FIELDS):
        post_ids = list(instance.posts.values_list("pk", flat=True))
        changes.refresh(post_ids, seen=bool(post_ids))


def _author_deleting(sender, instance, **kwargs) -> None:
    post_ids = list(instance.posts.values_list("pk", flat=True))
    Post.objects.filter(pk__in=post_ids).update(author=None)
    changes.refresh(post_ids, seen=bool(post_ids))


def _category_saved(sender, instance: Category, created: bool, **kwargs) -> None:
    """A category has its page, and its place in the lists of categories, from its creation. A
    category of a merged one's slug or name is that category made again: the address and the
    name are its own from now on, no longer the merged category's (CategoryAlias). Not so the
    category kept renamed after the merged one: its old names and addresses stay its own."""
    taken = CategoryAlias.objects.filter(Q(slug=instance.slug) | Q(name__iexact=instance.name))
    taken.exclude(category=instance).delete()
    changes.refresh([] if created else instance.posts.values_list("pk", flat=True), seen=True)


def _category_deleting(sender, instance: Category, **kwargs) -> None:
    post_ids = list(instance.posts.values_list("pk", flat=True))
    instance.posts.clear()
    changes.refresh(post_ids, seen=True)


def _tag_saved(sender, instance: Tag, created: bool, **kwargs) -> None:
    """A new tag shows nowhere until a post has it."""
    if not created:
        changes.refresh(Post.objects.filter(tags=instance).values_list("pk", flat=True), seen=True)


def _tag_deleting(sender, instance: Tag, **kwargs) -> None:
    taggings = TaggedPost.objects.filter(tag=instance)
    post_ids = list(taggings.values_list("content_object_id", flat=True))
    taggings.delete()
    changes.refresh(post_ids, seen=True)


def connect() -> None:
    receivers = [
        (post_save, _author_saved, settings.AUTH_USER_MODEL), (pre_delete, _author_deleting, settings.AUTH_USER_MODEL),
        (post_save, _category_saved, Category), (pre_delete, _category_deleting, Category),
        (post_save, _tag_saved, Tag), (pre_delete, _tag_deleting, Tag),
    ]  # fmt: skip
    for signal, receiver, sender in receivers:
        signal.connect(receiver, sender=sender, dispatch_uid=f"vdwiki-{receiver.__name__}")
