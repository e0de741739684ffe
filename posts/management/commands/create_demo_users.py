import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

ROLES = ["Author", "Editor", "Moderator", "Admin"]


class Command(BaseCommand):
    help = "Create (or reset) one demo user per role and print their passwords. Development only."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo users are for local development only (DJANGO_DEBUG is off).")
        User = get_user_model()
        for role in ROLES:
            username = role.lower()
            password = secrets.token_urlsafe(9)
            user, _ = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.com"})
            user.is_staff = True
            user.is_superuser = role == "Admin"
            user.set_password(password)
            user.save()
            user.groups.set(Group.objects.filter(name=role))
            self.stdout.write(f"  {role:<10} user: {username:<10} password: {password}")
