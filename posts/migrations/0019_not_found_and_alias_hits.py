"""Addresses not found (404) counted for the admin, and how often each alias answers. Editors,
who add aliases, see the addresses; Moderators also dismiss them; Admins hold every permission."""

import django.utils.timezone
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

GRANTED = {"Editor": ["view_notfound"], "Moderator": ["view_notfound", "delete_notfound"]}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("posts")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    not_found = Permission.objects.filter(content_type__app_label="posts", content_type__model="notfound")
    for group in Group.objects.filter(name__in=GRANTED):
        group.permissions.add(*not_found.filter(codename__in=GRANTED[group.name]))
    for group in Group.objects.filter(name="Admin"):
        group.permissions.add(*not_found)


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0018_category_hidden"),
    ]

    operations = [
        migrations.AddField(
            model_name="alias",
            name="hits",
            field=models.PositiveBigIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name="alias",
            name="last_hit",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="last used"),
        ),
        migrations.CreateModel(
            name="NotFound",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("path", models.CharField(help_text="In the aliases' normal form.", max_length=1000, unique=True)),
                ("hits", models.PositiveBigIntegerField(default=1)),
                ("first_seen", models.DateTimeField(default=django.utils.timezone.now)),
                ("last_seen", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "referrer",
                    models.CharField(blank=True, help_text="The last page that linked to it.", max_length=1000),
                ),
            ],
            options={
                "verbose_name": "address not found",
                "verbose_name_plural": "addresses not found",
                "ordering": ["-hits", "-last_seen"],
                "indexes": [models.Index(fields=["hits", "last_seen"], name="posts_notfound_hits")],
            },
        ),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
