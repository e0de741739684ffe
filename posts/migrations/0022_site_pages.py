"""Site pages (posts/site_pages.py): a post's kind and a site page's address, unique among pages;
the admin's list of them (a proxy); an alias kind for a page's old address. Existing posts are
posts.

SQLite adds a NOT NULL column by remaking the table, which drops the search triggers of 0004 with
the old table: they are created again, as in 0017."""

import importlib

from django.db import migrations, models

create_search_triggers = importlib.import_module(
    "posts.migrations.0006_post_article_and_neighbour_index"
).create_search_triggers


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0021_category_merge"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, create_search_triggers),
        migrations.AddField(
            model_name="post",
            name="kind",
            field=models.CharField(
                choices=[("post", "Post"), ("page", "Site page"), ("home_intro", "Home page introduction")],
                default="post",
                editable=False,
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="post",
            name="path",
            field=models.CharField(
                blank=True,
                help_text="Where readers find the page, such as /about/ or /about/team/: lower-case letters, digits"
                " and hyphens between slashes.",
                max_length=200,
                verbose_name="address",
            ),
        ),
        migrations.AddConstraint(
            model_name="post",
            constraint=models.UniqueConstraint(
                condition=models.Q(("path", ""), _negated=True),
                fields=("path",),
                name="posts_post_path_unique",
                violation_error_message="Another site page has this address.",
            ),
        ),
        migrations.RunPython(create_search_triggers, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="alias",
            name="kind",
            field=models.CharField(
                choices=[
                    ("legacy_title", "Legacy title"),
                    ("page_id", "Legacy page id"),
                    ("old_slug", "Old slug"),
                    ("old_address", "Old address of a site page"),
                    ("manual", "Manual"),
                ],
                default="manual",
                max_length=20,
            ),
        ),
        migrations.CreateModel(
            name="SitePage",
            fields=[],
            options={
                "verbose_name": "site page",
                "verbose_name_plural": "site pages",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("posts.post",),
        ),
    ]
