from .views import legacy_response


class LegacyRedirectMiddleware:
    """Answers a 404 for an old wiki URL with a 301 to its post (or 410 if it was deleted).

    The 404 handler (views.page_not_found) has done it already, unless DEBUG's 404 page
    replaced the handler.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 404 or getattr(response, "legacy_checked", False):
            return response
        return legacy_response(request) or response
