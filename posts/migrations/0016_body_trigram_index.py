"""The admin's Markdown search (admin_lists.matching_source) looks for text anywhere in posts'
bodies with Django's `icontains`, `UPPER(body) LIKE UPPER('%text%')`, which PostgreSQL answers
from a trigram index on UPPER(body) instead of reading every body (a case-sensitive search checks
the exact text among those). SQLite has no such index; there the search reads the table, and this
does nothing."""

from django.db import migrations

PG_INSTALL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX posts_post_body_trgm ON posts_post USING gin ((UPPER(body)) gin_trgm_ops)",
]
PG_REMOVE = ["DROP INDEX IF EXISTS posts_post_body_trgm"]


def on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("posts", "0015_postnote")]

    operations = [migrations.RunPython(on_postgresql(PG_INSTALL), on_postgresql(PG_REMOVE))]
