"""What django-axes asks of us: where a login comes from (AXES_CLIENT_IP_CALLABLE), and the page
shown to a login it has locked out (AXES_LOCKOUT_CALLABLE)."""

from axes.helpers import get_client_username
from django.conf import settings
from django.contrib import admin
from django.shortcuts import render


def client_address(request) -> str:
    """The address a login comes from. Behind our own proxy (nginx, deploy/nginx/vdwiki.conf) every
    request comes from the proxy's address, so from there it is the address the proxy saw: the last
    one it added to X-Forwarded-For. When that one is a proxy of ours too (a load balancer or TLS
    terminator in front of nginx, listed in DJANGO_TRUSTED_PROXIES), it is the one before it, and
    so on. What a client wrote in that header itself comes before them all, and is not believed."""
    address = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    while address in settings.VDWIKI_TRUSTED_PROXIES and forwarded and forwarded[-1].strip():
        address = forwarded.pop().strip()
    return address


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
