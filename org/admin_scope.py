"""Wagtail admin views narrowed to the user's scope by org.access (part of the query, never afterwards)."""
from django.shortcuts import get_object_or_404
from django.contrib.admin.utils import unquote
from wagtail.admin.views import generic

from . import access, auditlog


class ScopedIndexView(generic.IndexView):
    scope_action = "record.view"

    def get_base_queryset(self):
        return access.visible(self.request.user, super().get_base_queryset(), self.scope_action)

    def as_spreadsheet(self, queryset, spreadsheet_format):
        auditlog.record("export", actor=self.request.user, request=self.request,
                        obj=(f"{self.model._meta.app_label}.{self.model._meta.model_name}", "", "export"),
                        details={"format": spreadsheet_format, "rows": queryset.count(),
                                 "query": self.request.GET.urlencode()})
        return super().as_spreadsheet(queryset, spreadsheet_format)


class ScopedInspectView(generic.InspectView):
    scope_action = "record.view"

    def get_object(self, queryset=None):
        scoped = access.visible(self.request.user, self.model._default_manager.all(), self.scope_action)
        return get_object_or_404(scoped, pk=unquote(str(self.pk)))


class ScopedViewSetMixin:
    """Use on a ModelViewSet whose model has `scope_hall_path`."""

    index_view_class = ScopedIndexView
    inspect_view_class = ScopedInspectView
