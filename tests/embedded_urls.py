"""The project's URLs plus /test-fails/, a view that raises (for tests/test_media.py)."""
from django.urls import path

from config.urls import urlpatterns as project_urls


def fails(request):
    raise RuntimeError("secret-internal-detail: this view always fails")


urlpatterns = [path("test-fails/", fails)] + project_urls
