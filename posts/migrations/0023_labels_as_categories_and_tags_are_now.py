"""Every post's labels (what search finds it by) made again from its categories and tags as they
are now: a category or tag renamed in the admin left its old name in them, and a hidden
category's name was kept (models.Post.labels_for leaves it out now)."""

from django.db import migrations
from django.db.models import Prefetch

BATCH = 500


def labels_for(categories, tags) -> str:
    """Post.labels_for as this migration was written (a migration keeps its own copy)."""
    names = {}
    for name in [*(category.name for category in categories if not category.hidden), *tags]:
        names.setdefault(name.casefold(), name)
    return "\n".join(names[key] for key in sorted(names))


def relabel(apps, schema_editor):
    Post = apps.get_model("posts", "Post")
    Category = apps.get_model("posts", "Category")
    TaggedPost = apps.get_model("posts", "TaggedPost")
    post_ids = list(Post.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(post_ids), BATCH):
        chunk = post_ids[start : start + BATCH]
        tags = {}
        for post_id, name in TaggedPost.objects.filter(content_object_id__in=chunk).values_list(
            "content_object_id", "tag__name"
        ):
            tags.setdefault(post_id, []).append(name)
        posts = (
            Post.objects.filter(pk__in=chunk)
            .only("labels")
            .prefetch_related(Prefetch("categories", queryset=Category.objects.only("name", "hidden")))
        )
        changed = []
        for post in posts:
            labels = labels_for(post.categories.all(), tags.get(post.pk, []))
            if labels != post.labels:
                post.labels = labels
                changed.append(post)
        Post.objects.bulk_update(changed, ["labels"])


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0022_site_pages"),
    ]

    operations = [
        migrations.RunPython(relabel, migrations.RunPython.noop),
    ]
