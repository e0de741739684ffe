"""Admins see the failed logins django-axes records and unlock a locked one (by deleting its
access attempts) in axes' admin: without these permissions only superusers could."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

AXES_PERMISSIONS = ["view_accessattempt", "delete_accessattempt", "view_accessfailurelog", "view_accesslog"]


def grant_unlocking(apps, schema_editor):
    app_config = apps.get_app_config("axes")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="axes", codename__in=AXES_PERMISSIONS)
    for group in Group.objects.filter(name="Admin"):
        group.permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0010_import_progress_and_audit"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(grant_unlocking, migrations.RunPython.noop)]
