"""The stored article of each post (posts/article.py), and the (status, date, id) index a post
page finds its neighbours with.

On PostgreSQL, the long texts of a post's row (body, its HTML and text, the article) can push the
small tsvectors a search reads for every match (`search_rank`, `search_title`: 0004) out of the
row into TOAST, as a first version of the article holding the body did: fetching them from there
tripled the time to rank 1,500 matches. They are kept in the row (storage MAIN: compressed there,
moved out only as a last resort), and made again so the rows take it.

Posts written before this migration have none: their pages render it at each view, correctly but
more slowly, until `manage.py rerender` stores it. SQLite adds a NOT NULL column by remaking the
table, which drops the search triggers of 0004 with the old table: they are created again (and
after the columns are removed, when migrating back, should that remake the table too).
"""

import importlib

from django.db import migrations, models


def keep_ranking_vectors_in_the_row(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        search = importlib.import_module("posts.migrations.0004_search")
        schema_editor.execute(
            "ALTER TABLE posts_post ALTER COLUMN search_rank SET STORAGE MAIN, "
            "ALTER COLUMN search_title SET STORAGE MAIN"
        )
        schema_editor.execute(
            f"UPDATE posts_post SET search_rank = {search.PG_RANK.format(row='')}, "
            f"search_title = {search.PG_TITLE.format(row='')}"
        )


def let_ranking_vectors_leave_the_row(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE posts_post ALTER COLUMN search_rank SET STORAGE EXTENDED, "
            "ALTER COLUMN search_title SET STORAGE EXTENDED"
        )


def create_search_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in importlib.import_module("posts.migrations.0004_search").SQLITE_TRIGGERS:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0005_tag_digest"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, create_search_triggers),
        migrations.AddField(
            model_name="post",
            name="article",
            field=models.JSONField(
                blank=True,
                default=dict,
                editable=False,
                help_text="What the post's page shows around its body (article.py)",
            ),
        ),
        migrations.RunPython(create_search_triggers, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="post", name="posts_post_status_725b09_idx"),
        migrations.AddIndex(
            model_name="post",
            index=models.Index(fields=["status", "-date", "-id"], name="posts_post_status_eb36ef_idx"),
        ),
        migrations.RunPython(keep_ranking_vectors_in_the_row, let_ranking_vectors_leave_the_row),
    ]
