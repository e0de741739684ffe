"""Merging categories: near-duplicates ("Meta-analysis" and "Meta-analysis of Vitamin D") made one.

No revision is made: a merge files the posts anew, as renaming a category would, and revisions
are history. What revisions and the dump still name of a merged category, and its old address,
lead to the category kept instead (CategoryAlias; models.CategoryQuerySet finds it)."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ..changes import refresh
from ..models import Category, CategoryAlias, Post, PostAction

Filing = Post.categories.through
POST_FIELDS = ["pk", "title", "status", "pending_status", "latest_revision"]
CHUNK = 500  # posts read and written at once, within any database's limit of query parameters


@dataclass(frozen=True)
class MergePlan:
    """What merging `merged` into `kept` does: the posts of `merged` (`post_ids`) are filed under
    `kept`, but those there already (`already_in_ids`); readers stop seeing the category names of
    posts if `kept` is hidden and some of `merged` are not (`hides`)."""

    kept: Category
    merged: list[Category]
    post_ids: frozenset[int]
    already_in_ids: frozenset[int]

    @property
    def moving(self) -> int:
        return len(self.post_ids - self.already_in_ids)

    @property
    def already_in(self) -> int:
        return len(self.already_in_ids)

    @property
    def hides(self) -> bool:
        return self.kept.hidden and any(not category.hidden for category in self.merged)


def may_merge_categories(user) -> bool:
    return user.has_perm("posts.merge_category")


def merge_plan(merged: Iterable[Category], *, into: Category) -> MergePlan:
    """What merging would do, for the page asking to confirm it; refused as the merge would be."""
    merged = list(merged)
    _check(merged, into)
    filed = Filing.objects.filter(category__in=merged)
    already_in = Filing.objects.filter(category=into, post_id__in=filed.values("post_id"))
    return MergePlan(
        kept=into,
        merged=merged,
        post_ids=frozenset(filed.values_list("post_id", flat=True)),
        already_in_ids=frozenset(already_in.values_list("post_id", flat=True)),
    )


def merge_categories(merged: Iterable[Category], *, into: Category, by) -> MergePlan:
    """File every post of the `merged` categories under `into` instead and delete them; their names
    and addresses become `into`'s old ones (CategoryAlias), theirs before that too, so an old
    address answers with one redirect however often its category was merged. Each post filed
    anew is logged. Returns what was done."""
    if not may_merge_categories(by):
        raise PermissionDenied("You may not merge categories.")
    merged_ids = {category.pk for category in merged}
    with transaction.atomic():
        # Locked, so that two merges of the same categories run one after the other. A post filed
        # under a merged category while it merges fails one of the two transactions (PostgreSQL's
        # deferred foreign key checks), which leaves nothing half done; retried, it is moved.
        found = {c.pk: c for c in Category.objects.select_for_update().filter(pk__in=merged_ids | {into.pk})}
        if into.pk not in found:
            raise ValidationError(f"The category “{into}” to keep no longer exists.")
        merged = [found[pk] for pk in sorted(merged_ids) if pk in found]
        if len(merged) != len(merged_ids):
            raise ValidationError("Some of the categories to merge no longer exist: nothing was merged.")
        into = found[into.pk]
        plan = merge_plan(merged, into=into)
        post_ids = plan.post_ids
        Filing.objects.bulk_create([Filing(post_id=pk, category=into) for pk in sorted(post_ids - plan.already_in_ids)])
        Filing.objects.filter(category__in=merged).delete()
        CategoryAlias.objects.filter(category__in=merged).update(category=into)
        for category in merged:
            CategoryAlias.objects.update_or_create(
                slug=category.slug, defaults={"name": category.name, "category": into, "created": timezone.now()}
            )
        Category.objects.filter(pk__in=merged_ids).delete()
        comment = f"Merged {_names(merged)} into “{into.name}”."
        for chunk in _chunks(post_ids):
            # Locked as the workflow's verbs lock a post: refresh writes its article and labels.
            posts = list(Post.objects.select_for_update(of=("self",)).filter(pk__in=chunk).only(*POST_FIELDS))
            _log(posts, by, comment)
        # The articles and labels name the categories; the tags' digests do not (related.py).
        refresh(post_ids, seen=True, tag_ids=())
    return plan


def _check(merged: list[Category], into: Category) -> None:
    if not merged:
        raise ValidationError("Choose the categories to merge into the one kept.")
    if any(category.pk == into.pk for category in merged):
        raise ValidationError(f"“{into}” cannot be merged into itself.")


def _log(posts: list[Post], by, comment: str) -> None:
    """One audit row for each post filed anew; its state is unchanged."""
    PostAction.objects.bulk_create(
        PostAction(
            post=post,
            post_title=post.title,
            user=by,
            action=PostAction.Action.CATEGORIES,
            from_state=post.status,
            from_pending=post.pending_status,
            to_state=post.status,
            to_pending=post.pending_status,
            revision_id=post.latest_revision_id,
            comment=comment,
        )
        for post in posts
    )


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ids = sorted(ids)
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _names(categories: list[Category]) -> str:
    return ", ".join(f"“{category.name}”" for category in categories)
