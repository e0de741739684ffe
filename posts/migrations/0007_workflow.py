"""The editorial workflow (posts/workflow.py): where a published post's waiting changes stand,
when a post was submitted and when it goes live; the log of moves; the review queue; uploads
(attachments without a legacy URL). SQLite adds the new NOT NULL column by remaking posts_post,
which drops the search triggers of 0004 with the old table: they are created again, as in 0006.
"""

import importlib

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models


create_search_triggers = importlib.import_module("posts.migrations.0006_post_article_and_neighbour_index").create_search_triggers


def grant_audit_log(apps, schema_editor):
    """Moderators and Admins read the site's audit log; Admins hold every permission of posts."""
    app_config = apps.get_app_config("posts")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view_log = Permission.objects.get(content_type__app_label="posts", codename="view_postaction")
    for group in Group.objects.filter(name="Moderator"):
        group.permissions.add(view_log)
    for group in Group.objects.filter(name="Admin"):
        group.permissions.add(*Permission.objects.filter(content_type__app_label="posts"))


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0006_post_article_and_neighbour_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, create_search_triggers),
        migrations.AddField(
            model_name="post",
            name="pending_status",
            field=models.CharField(
                blank=True,
                choices=[("draft", "Draft"), ("in_review", "In review"), ("scheduled", "Scheduled")],
                editable=False,
                help_text="Where the latest revision of a published post stands while readers still see the live one",
                max_length=20,
                verbose_name="unpublished changes",
            ),
        ),
        migrations.AddField(
            model_name="post",
            name="publish_at",
            field=models.DateTimeField(
                blank=True, db_index=True, editable=False, null=True, verbose_name="scheduled for"
            ),
        ),
        migrations.AddField(
            model_name="post",
            name="submitted_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(create_search_triggers, migrations.RunPython.noop),
        migrations.CreateModel(
            name="PostAction",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("post_title", models.CharField(max_length=500)),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("create", "Created"),
                            ("edit", "Edited"),
                            ("restore", "Restored a revision"),
                            ("submit", "Submitted for review"),
                            ("approve", "Approved"),
                            ("schedule", "Scheduled"),
                            ("send_back", "Sent back"),
                            ("publish", "Published"),
                            ("publish_scheduled", "Published at its scheduled time"),
                            ("unpublish", "Unpublished"),
                            ("delete", "Deleted"),
                            ("undelete", "Undeleted"),
                        ],
                        db_index=True,
                        max_length=20,
                    ),
                ),
                (
                    "from_state",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("draft", "Draft"),
                            ("in_review", "In review"),
                            ("scheduled", "Scheduled"),
                            ("published", "Published"),
                            ("unpublished", "Unpublished"),
                            ("deleted", "Deleted"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "to_state",
                    models.CharField(
                        choices=[
                            ("draft", "Draft"),
                            ("in_review", "In review"),
                            ("scheduled", "Scheduled"),
                            ("published", "Published"),
                            ("unpublished", "Unpublished"),
                            ("deleted", "Deleted"),
                        ],
                        max_length=20,
                    ),
                ),
                ("comment", models.TextField(blank=True)),
                ("created", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                (
                    "post",
                    models.ForeignKey(
                        null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="actions", to="posts.post"
                    ),
                ),
                (
                    "revision",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="posts.revision",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created", "-id"],
                "indexes": [models.Index(fields=["post", "-created"], name="posts_posta_post_id_7eaeb2_idx")],
            },
        ),
        migrations.CreateModel(
            name="PostInReview",
            fields=[],
            options={
                "verbose_name": "post in review",
                "verbose_name_plural": "review queue",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("posts.post",),
        ),
        migrations.AlterField(
            model_name="attachment",
            name="legacy_url",
            field=models.URLField(blank=True, help_text="None for an upload", max_length=1000, null=True, unique=True),
        ),
        migrations.RunPython(grant_audit_log, migrations.RunPython.noop),
    ]
