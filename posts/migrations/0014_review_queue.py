"""What the review queue and the dashboard need at 15,000 posts: posts found by the state of their
waiting changes through an index (`pending_status`), and revisions storing the size of their
change (words added and removed), which the queue would otherwise diff from two bodies per row. Revisions made before get it here: against the
post's live revision for those made after it, else against the revision before them, and a
post's first revision counts all its words."""

from django.db import migrations, models

from posts.diff import words_changed

BATCH = 500


def fill_word_counts(apps, schema_editor):
    Post = apps.get_model("posts", "Post")
    Revision = apps.get_model("posts", "Revision")
    live_of = dict(Post.objects.exclude(live_revision=None).values_list("pk", "live_revision"))
    revisions = Revision.objects.order_by("post_id", "created", "pk").only("pk", "post_id", "body")
    post_id, previous_body, live_body, batch = None, None, None, []
    for revision in revisions.iterator(chunk_size=BATCH):
        if revision.post_id != post_id:
            post_id, previous_body, live_body = revision.post_id, None, None
        base = live_body if live_body is not None else previous_body
        revision.words_added, revision.words_removed = words_changed(base, revision.body)
        if revision.pk == live_of.get(post_id):
            live_body = revision.body
        previous_body = revision.body
        batch.append(revision)
        if len(batch) == BATCH:
            Revision.objects.bulk_update(batch, ["words_added", "words_removed"])
            batch = []
    Revision.objects.bulk_update(batch, ["words_added", "words_removed"])


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0013_summaries_from_prose"),
    ]

    operations = [
        migrations.AddField(
            model_name="revision",
            name="words_added",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="revision",
            name="words_removed",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        # An index of its own, not the field's db_index: that AlterField would make SQLite remake
        # posts_post, dropping its search triggers (0004_search).
        migrations.AddIndex(
            model_name="post",
            index=models.Index(fields=["pending_status"], name="posts_post_pending_idx"),
        ),
        migrations.RunPython(fill_word_counts, migrations.RunPython.noop, elidable=True),
    ]
