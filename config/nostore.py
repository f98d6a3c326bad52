"""`Cache-Control: no-store` on every answer to a signed-in user or API client.

What a signed-in user gets may carry personal data: an unmasked ID number (the ID-number endpoint, the
inspect screen with ?reveal=1, the level-1 screen), exports and search results, scans, access copies and
volume PDFs that show the numbers on paper. No browser or shared cache may keep such an answer, and which
answers carry one grows with every new screen; so the rule goes by who asks, not by URL. DRF authenticates
a token inside its view and sets that user on the Django request as well, so token clients are covered.
Anonymous answers (login page, static files, healthz) keep their caching.
"""
from django.utils.cache import patch_cache_control


class NoStoreForSignedInMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
