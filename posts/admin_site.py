"""The admin site: Django's, named for the site (VDWIKI_SITE_NAME), its index the dashboard."""

from django.conf import settings
from django.contrib import admin

from . import dashboard


class SiteAdmin(admin.AdminSite):
    index_template = "admin/dashboard.html"
    index_title = "Dashboard"

    @property
    def site_header(self):
        return settings.VDWIKI_SITE_NAME

    @property
    def site_title(self):
        return settings.VDWIKI_SITE_NAME

    def index(self, request, extra_context=None):
        return super().index(request, {**dashboard.sections(request.user), **(extra_context or {})})
