"""Data for the tests: staff users in a role, and a small real image."""

import importlib
import io

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from PIL import Image

PASSWORD = "pw-123-secret"


# The data migrations that make the role groups and give them their permissions, in order.
ROLE_MIGRATIONS = [("0002_roles", "create_roles"), ("0007_workflow", "grant_audit_log"),
                   ("0011_admins_unlock_logins", "grant_unlocking")]  # fmt: skip


def make_role_groups() -> None:
    """The role groups as the migrations make them, when missing: a transactional test's flush
    keeps what post_migrate makes (permissions) but not what data migrations made."""
    if Group.objects.filter(name="Admin").exists():
        return
    state = MigrationLoader(connection).project_state(("posts", ROLE_MIGRATIONS[-1][0]))
    for migration, function in ROLE_MIGRATIONS:
        getattr(importlib.import_module(f"posts.migrations.{migration}"), function)(state.apps, None)


def make_user(role: str | None, name: str, *, staff: bool = True):
    """A user in the role's group (no group for None), with `name`@example.com and PASSWORD."""
    user = get_user_model().objects.create_user(name, f"{name}@example.com", PASSWORD, is_staff=staff)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def png(width: int = 8, height: int = 8) -> bytes:
    image = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(image, "PNG")
    return image.getvalue()
