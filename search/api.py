"""GET /api/search/?q=…&doctype=record&page=1&per_page=20&sort=date&hall=H11&date_from=2026-01-01 …

The same search as the admin screen, in the user's scope. Bad input → 400 {"error": message};
search engine down → 503 {"error": message}."""
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from . import backends, query, registry, results

RESERVED = {"q", "doctype", "page", "per_page", "sort", "format"}


class SearchHitSerializer(serializers.Serializer):
    id = serializers.CharField()
    fields = serializers.DictField(help_text="the document type's named fields (ID numbers masked), never its text")
    snippet = serializers.CharField(help_text="HTML: escaped text with <mark> around matches, ID numbers masked")


class SearchResultSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    per_page = serializers.IntegerField()
    pages = serializers.IntegerField()
    facets = serializers.DictField()
    hits = SearchHitSerializer(many=True)


class SearchErrorSerializer(serializers.Serializer):
    error = serializers.CharField()


class SearchAPIView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("q", OpenApiTypes.STR, description="free text, service, transaction or ID "
                                     "number; 4 digits: a phone number's tail, 6 characters: an ID number's"),
                    OpenApiParameter("doctype", OpenApiTypes.STR, description="record (default) or procedure"),
                    OpenApiParameter("page", OpenApiTypes.INT), OpenApiParameter("per_page", OpenApiTypes.INT),
                    OpenApiParameter("sort", OpenApiTypes.STR),
                    OpenApiParameter("date_from", OpenApiTypes.DATE), OpenApiParameter("date_to", OpenApiTypes.DATE)],
        responses={200: SearchResultSerializer, 400: SearchErrorSerializer, 503: SearchErrorSerializer})
    def get(self, request):
        params = request.query_params
        doctype = params.get("doctype", "record")
        try:
            registry.get(doctype)
        except LookupError:
            return Response({"error": _("Unknown document type “%(name)s”") % {"name": doctype}}, status=400)
        filters = results.filters_from((k, v) for k, values in params.lists() if k not in RESERVED for v in values)
        try:
            result = query.search(request.user, params.get("q", ""), doctype, page=params.get("page", 1),
                                  per_page=params.get("per_page", 20), sort=params.get("sort", ""), **filters)
        except query.SearchInputError as exc:
            return Response({"error": str(exc)}, status=400)
        except backends.Unavailable:
            return Response({"error": _("Search is unavailable right now; please try again in a minute")},
                            status=503)
        return Response(results.result_json(result))
