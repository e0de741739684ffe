from .views import legacy_response


class LegacyRedirectMiddleware:
    """Answers a 404 for an old wiki URL with a 301 to its post (or 410 if it was deleted)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 404:
            return response
        return legacy_response(request) or response
