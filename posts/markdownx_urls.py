"""django-markdownx's preview and upload endpoints, for logged-in staff only; the preview refuses
a body over the limits of a post.

markdownx serves them to anyone by default: an open Markdown renderer and an open upload
endpoint. The preview goes through `posts.models.preview_html` (MARKDOWNX_MARKDOWNIFY_FUNCTION),
so it shows exactly what the public page will. Uploads go to our own view (uploads.py), which
checks rights and content and stores them as Attachments.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.urls import path
from markdownx.views import MarkdownifyView

from . import limits, uploads


def staff_only(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not (request.user.is_active and request.user.is_staff):
            raise PermissionDenied("Staff only.")
        return view(request, *args, **kwargs)

    return wrapped


def within_limits(view):
    """Refuse, before rendering, a body over the limits of a post (posts/limits.py)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if problem := limits.body_problem(request.POST.get("content", "")):
            return HttpResponse(problem, status=400, content_type="text/plain; charset=utf-8")
        return view(request, *args, **kwargs)

    return wrapped


urlpatterns = [
    path("upload/", uploads.upload, name="markdownx_upload"),
    path("markdownify/", staff_only(within_limits(MarkdownifyView.as_view())), name="markdownx_markdownify"),
]
