from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class PostsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "posts"
    verbose_name = "Content"

    def ready(self):
        from . import receivers

        receivers.connect()


class SiteAdminConfig(admin_apps.AdminConfig):
    """Django's admin, with the site whose index is the dashboard (admin_site.py)."""

    default = False
    default_site = "posts.admin_site.SiteAdmin"
