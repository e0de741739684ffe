"""The editorial roles as groups (DESIGN.md, "Editorial workflow")."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

AUTHOR = [
    "view_post", "add_post", "change_post", "view_revision", "view_category", "view_alias",
    "view_attachment", "add_attachment",
]  # fmt: skip
EDITOR = AUTHOR + [
    "change_others_post", "add_category", "change_category", "change_attachment", "add_alias", "change_alias",
]  # fmt: skip
MODERATOR = EDITOR + ["delete_post", "review_post", "publish_post", "delete_alias"]
ROLES = {"Author": AUTHOR, "Editor": EDITOR, "Moderator": MODERATOR}


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(Permission.objects.filter(content_type__app_label="posts", codename__in=codenames))
    admin, _ = Group.objects.get_or_create(name="Admin")
    admin.permissions.set(Permission.objects.filter(content_type__app_label__in=["posts", "auth", "taggit"]))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[*ROLES, "Admin"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
