"""The page shown to a login that django-axes has locked out (settings: AXES_LOCKOUT_CALLABLE)."""

from axes.helpers import get_client_username
from django.conf import settings
from django.contrib import admin
from django.shortcuts import render


def locked_out(request, original_response=None, credentials=None):
    """The admin's login page, saying why it refuses and for how long, with 429 Too Many Requests."""
    context = {
        **admin.site.each_context(request),
        "title": "Login locked",
        "is_nav_sidebar_enabled": False,
        "username": get_client_username(request, credentials) or "",
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": round(settings.AXES_COOLOFF_TIME.total_seconds() / 60),
    }
    return render(request, "admin/locked_out.html", context, status=429)
