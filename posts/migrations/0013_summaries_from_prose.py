"""Every post's summary taken again from its stored HTML by posts/rendering/excerpt.py: the first
sentences of its prose, where it used to be the start of its text (for most imported posts, the
citation of a study: journal, DOI, authors).

The stored `body_html` is what `render` made of the body, so no Markdown is rendered again; only
the posts whose summary changes are written. Reversing leaves the new summaries in place: they
are what the code of either side would store on the next save.
"""

from django.db import migrations

from posts.rendering.excerpt import excerpt

BATCH = 500


def summarize_prose(apps, schema_editor):
    Post = apps.get_model("posts", "Post")
    changed = []
    for post in Post.objects.only("pk", "body_html", "summary").order_by("pk").iterator(chunk_size=BATCH):
        summary = excerpt(post.body_html)
        if summary != post.summary:
            post.summary = summary
            changed.append(post)
        if len(changed) >= BATCH:
            Post.objects.bulk_update(changed, ["summary"])
            changed.clear()
    Post.objects.bulk_update(changed, ["summary"])


class Migration(migrations.Migration):
    dependencies = [("posts", "0012_article_tag_ids")]

    operations = [migrations.RunPython(summarize_prose, migrations.RunPython.noop, elidable=True)]
