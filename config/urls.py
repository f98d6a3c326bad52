from django.conf import settings
from django.http import JsonResponse
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from org.admin_scope import site_history_urls
from records.api import RecordViewSet
from search.api import SearchAPIView


class Router(DefaultRouter):
    include_format_suffixes = False  # no "/records/1/retry.json" twins: the actions take no format (a 500)


router = Router()
router.register("records", RecordViewSet, basename="record")


def healthz(request):
    return JsonResponse({"ok": True})


urlpatterns = [
    path("healthz", healthz),
    path("i18n/setlang/", set_language, name="set_language"),
    *site_history_urls(),  # Wagtail's site history, for those who manage the organisation only
    path("admin/", include(wagtailadmin_urls)),
    path("accounts/", include("handbook.urls")),
    path("documents/", include(wagtaildocs_urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/search/", SearchAPIView.as_view(), name="api-search"),
    path("api/", include(router.urls)),
]

if settings.SERVE_MEDIA:  # the embedded default: the public folders only (config/media.py); never in production
    from django.urls import re_path

    from config.media import public_media

    urlpatterns += [re_path(r"^%s(?P<path>.*)$" % settings.MEDIA_URL.lstrip("/"), public_media)]

urlpatterns += [path("", include(wagtail_urls))]
