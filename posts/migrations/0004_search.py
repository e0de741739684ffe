"""Full-text search (posts/search.py): the `labels` column and each database's own index.

PostgreSQL: three hidden tsvector columns on posts_post (not model fields). `search_vector`
holds the title (weight A), the labels (B) and the body text (C), under a GIN index: it decides
what matches. `search_title` holds the title alone, under a GIN index too: "the title holds the
whole query", and the 404 page's similar titles. `search_rank` holds the title, the labels and
the summary (the body's opening): small enough to stay in the table row, it ranks the matches;
ranking by the whole body's vector would fetch and decompress it from TOAST for every match
(a query matching most posts then took 150 ms instead of 25). A trigger fills all three on every
insert and on updates of those columns. They are stored rather than expression indexes so that
ranking does not re-parse every matching post; filled by a trigger rather than generated columns
because PostgreSQL refuses to change the type of a column a generated column reads (a later
AlterField of `title` would fail).

SQLite: an FTS5 table over posts_post's own columns (external content, so nothing is stored
twice), kept current by triggers, which see bulk inserts and raw updates too. A migration that
makes SQLite remake posts_post (most AlterFields, AddField of a NOT NULL column) drops these
triggers with the old table: such a migration must create them again (tests/test_search.py
checks they exist).
"""

from django.db import migrations, models

BATCH = 500

PG_VECTOR = """
    setweight(to_tsvector('english', coalesce({row}title, '')), 'A')
    || setweight(to_tsvector('english', coalesce({row}labels, '')), 'B')
    || setweight(to_tsvector('english', left(coalesce({row}body_text, ''), 200000)), 'C')
"""
PG_TITLE = "to_tsvector('english', coalesce({row}title, ''))"
PG_RANK = """
    setweight(to_tsvector('english', coalesce({row}title, '')), 'A')
    || setweight(to_tsvector('english', coalesce({row}labels, '')), 'B')
    || setweight(to_tsvector('english', coalesce({row}summary, '')), 'C')
"""

PG_INSTALL = [
    # The rows fill_labels() just updated queue deferred foreign key checks, and PostgreSQL
    # creates no index on a table with pending trigger events: run them now (as Django does).
    "SET CONSTRAINTS ALL IMMEDIATE",
    "ALTER TABLE posts_post ADD COLUMN search_vector tsvector, ADD COLUMN search_title tsvector, ADD COLUMN search_rank tsvector",
    f"""
    CREATE FUNCTION posts_post_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_vector := {PG_VECTOR.format(row="NEW.")};
        NEW.search_title := {PG_TITLE.format(row="NEW.")};
        NEW.search_rank := {PG_RANK.format(row="NEW.")};
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER posts_post_search_vector_insert BEFORE INSERT ON posts_post
    FOR EACH ROW EXECUTE FUNCTION posts_post_search_vector()
    """,
    """
    CREATE TRIGGER posts_post_search_vector_update BEFORE UPDATE OF title, labels, body_text, summary ON posts_post
    FOR EACH ROW WHEN (
        OLD.title IS DISTINCT FROM NEW.title
        OR OLD.labels IS DISTINCT FROM NEW.labels
        OR OLD.body_text IS DISTINCT FROM NEW.body_text
        OR OLD.summary IS DISTINCT FROM NEW.summary
    ) EXECUTE FUNCTION posts_post_search_vector()
    """,
    f"""
    UPDATE posts_post SET search_vector = {PG_VECTOR.format(row="")}, search_title = {PG_TITLE.format(row="")},
        search_rank = {PG_RANK.format(row="")}
    """,
    "CREATE INDEX posts_post_search_vector ON posts_post USING gin (search_vector)",
    "CREATE INDEX posts_post_search_title ON posts_post USING gin (search_title)",
]

PG_REMOVE = [
    "DROP TRIGGER posts_post_search_vector_update ON posts_post",
    "DROP TRIGGER posts_post_search_vector_insert ON posts_post",
    "DROP FUNCTION posts_post_search_vector()",
    "ALTER TABLE posts_post DROP COLUMN search_vector, DROP COLUMN search_title, DROP COLUMN search_rank",
]

SQLITE_TRIGGERS = [
    """
    CREATE TRIGGER IF NOT EXISTS posts_post_fts_insert AFTER INSERT ON posts_post BEGIN
        INSERT INTO posts_post_fts (rowid, title, labels, body_text)
        VALUES (new.id, new.title, new.labels, new.body_text);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS posts_post_fts_delete AFTER DELETE ON posts_post BEGIN
        INSERT INTO posts_post_fts (posts_post_fts, rowid, title, labels, body_text)
        VALUES ('delete', old.id, old.title, old.labels, old.body_text);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS posts_post_fts_update AFTER UPDATE OF title, labels, body_text ON posts_post
    WHEN old.title IS NOT new.title OR old.labels IS NOT new.labels OR old.body_text IS NOT new.body_text
    BEGIN
        INSERT INTO posts_post_fts (posts_post_fts, rowid, title, labels, body_text)
        VALUES ('delete', old.id, old.title, old.labels, old.body_text);
        INSERT INTO posts_post_fts (rowid, title, labels, body_text)
        VALUES (new.id, new.title, new.labels, new.body_text);
    END
    """,
]

SQLITE_INSTALL = [
    """
    CREATE VIRTUAL TABLE posts_post_fts USING fts5(
        title, labels, body_text,
        content='posts_post', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2'
    )
    """,
    *SQLITE_TRIGGERS,
    "INSERT INTO posts_post_fts (posts_post_fts) VALUES ('rebuild')",
]

SQLITE_REMOVE = [
    "DROP TRIGGER posts_post_fts_update",
    "DROP TRIGGER posts_post_fts_delete",
    "DROP TRIGGER posts_post_fts_insert",
    "DROP TABLE posts_post_fts",
]


def fill_labels(apps, schema_editor):
    """Labels of the posts already there, as Post.labels_for() makes them."""
    Post = apps.get_model("posts", "Post")
    TaggedPost = apps.get_model("posts", "TaggedPost")
    names = {}
    for post_id, name in Post.categories.through.objects.order_by("category__name").values_list(
        "post_id", "category__name"
    ):
        names.setdefault(post_id, {}).setdefault(name.casefold(), name)
    for post_id, name in TaggedPost.objects.order_by("tag__name").values_list("content_object_id", "tag__name"):
        names.setdefault(post_id, {}).setdefault(name.casefold(), name)
    posts = [Post(pk=pk, labels="\n".join(post_names.values())) for pk, post_names in names.items()]
    Post.objects.bulk_update(posts, ["labels"], batch_size=BATCH)


def install_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"postgresql": PG_INSTALL, "sqlite": SQLITE_INSTALL}.get(vendor, []):
        schema_editor.execute(sql)


def remove_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"postgresql": PG_REMOVE, "sqlite": SQLITE_REMOVE}.get(vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0003_post_text_and_summary"),
    ]

    operations = [
        migrations.AddField(
            model_name="post",
            name="labels",
            field=models.TextField(blank=True, editable=False, help_text="Category and tag names, for search"),
        ),
        migrations.RunPython(fill_labels, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(install_index, remove_index),
    ]
