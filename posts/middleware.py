from urllib.parse import unquote

from django.http import HttpResponseBadRequest

from .views import legacy_response, site_page_response

NUL_REFUSED = "Bad request: the address holds a NUL character (%00), which no address of this site has."


class NulCharacterMiddleware:
    """Answers 400 to an address whose path or query holds a NUL character (`%00`). No page, alias,
    tag or search has one, and PostgreSQL refuses it in a query: every lookup of it was a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or "\x00" in unquote(request.META.get("QUERY_STRING", "")):
            return HttpResponseBadRequest(NUL_REFUSED, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class LegacyRedirectMiddleware:
    """Answers a 404 for an old wiki URL with a 301 to its post (or 410 if it was deleted), or
    with the site page at its address (site_pages.py).

    The 404 handler (views.page_not_found) has done it already, unless DEBUG's 404 page
    replaced the handler.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 404 or getattr(response, "legacy_checked", False):
            return response
        return legacy_response(request) or site_page_response(request) or response
