"""Stored articles name the ids of their post's tags (`tag_ids`, article.py), from which a post
page finds its related posts. Articles stored before get them here, from the post's tags; a post
without a stored article renders one at each view, which has them."""

from collections import defaultdict

from django.db import migrations

BATCH = 1000


def add_tag_ids(apps, schema_editor):
    Post = apps.get_model("posts", "Post")
    TaggedPost = apps.get_model("posts", "TaggedPost")
    stored = Post.objects.exclude(article={}).order_by("pk").only("article")
    last = 0
    while batch := list(stored.filter(pk__gt=last)[:BATCH]):
        last = batch[-1].pk
        tag_ids = defaultdict(list)
        for post_id, tag_id in TaggedPost.objects.filter(content_object__in=batch).values_list(
            "content_object", "tag"
        ):
            tag_ids[post_id].append(tag_id)
        for post in batch:
            post.article["tag_ids"] = sorted(tag_ids[post.pk])
        Post.objects.bulk_update(batch, ["article"])


def remove_tag_ids(apps, schema_editor):
    Post = apps.get_model("posts", "Post")
    stored = Post.objects.exclude(article={}).order_by("pk").only("article")
    last = 0
    while batch := list(stored.filter(pk__gt=last)[:BATCH]):
        last = batch[-1].pk
        for post in batch:
            post.article.pop("tag_ids", None)
        Post.objects.bulk_update(batch, ["article"])


class Migration(migrations.Migration):
    dependencies = [("posts", "0011_admins_unlock_logins")]

    operations = [migrations.RunPython(add_tag_ids, remove_tag_ids, elidable=True)]
