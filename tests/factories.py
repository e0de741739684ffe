"""Data for the tests: staff users in a role, and a small real image."""

import io

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from PIL import Image

PASSWORD = "pw-123-secret"


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
