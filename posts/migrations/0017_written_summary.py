"""A summary the editor writes (Post.written_summary, kept in each revision as Revision.summary).
Existing posts and revisions have none: readers keep seeing the excerpt stored in Post.summary.

SQLite adds a NOT NULL column by remaking the table, which drops the search triggers of 0004 with
the old table: they are created again, as in 0006."""

import importlib

from django.db import migrations, models

create_search_triggers = importlib.import_module(
    "posts.migrations.0006_post_article_and_neighbour_index"
).create_search_triggers


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0016_body_trigram_index"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, create_search_triggers),
        migrations.AddField(
            model_name="post",
            name="written_summary",
            field=models.CharField(
                blank=True,
                help_text="Plain text, up to 300 characters, for lists, search results, feeds and links shared"
                " elsewhere. Left empty, the opening of the post's prose is shown.",
                max_length=300,
                verbose_name="summary",
            ),
        ),
        migrations.RunPython(create_search_triggers, migrations.RunPython.noop),
        migrations.AddField(
            model_name="revision",
            name="summary",
            field=models.CharField(blank=True, max_length=300),
        ),
    ]
