"""Merging categories: the old names and addresses of merged categories (CategoryAlias), the
audit log's "Merged categories", and the right to merge, for Moderators and Admins."""

import django.db.models.deletion
import django.utils.timezone
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

GRANTED = {
    "Editor": ["view_categoryalias"],
    "Moderator": ["view_categoryalias", "merge_category"],
    "Admin": ["view_categoryalias", "merge_category", "delete_categoryalias"],
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("posts")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=GRANTED):
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="posts", codename__in=GRANTED[group.name])
        )


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0020_post_links"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="category",
            options={
                "ordering": ["name"],
                "permissions": [("merge_category", "Can merge categories")],
                "verbose_name_plural": "categories",
            },
        ),
        migrations.AlterField(
            model_name="postaction",
            name="action",
            field=models.CharField(
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
                    ("aliases", "Changed aliases"),
                    ("categories", "Merged categories"),
                    ("attachments", "Changed attachments"),
                ],
                db_index=True,
                max_length=20,
            ),
        ),
        migrations.CreateModel(
            name="CategoryAlias",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("slug", models.SlugField(allow_unicode=True, max_length=200, unique=True)),
                ("name", models.CharField(db_index=True, max_length=200)),
                ("created", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "category",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="old_names", to="posts.category"
                    ),
                ),
            ],
            options={
                "verbose_name": "merged category",
                "verbose_name_plural": "merged categories",
                "ordering": ["name"],
            },
        ),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
