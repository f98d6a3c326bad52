"""Wagtail admin views narrowed to the user's scope by org.access (part of the query, never afterwards), and
showing times in the local time zone (settings.TIME_ZONE, or the user's own in the admin profile)."""
import datetime

from django.contrib.admin.utils import unquote
from django.shortcuts import get_object_or_404
from django.utils import timezone
from wagtail.admin.views import generic

from . import access, auditlog


def local(value):
    """An aware time as the naive local wall time (what people read and what spreadsheets store)."""
    return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value


class LocalTimeIndexView(generic.IndexView):
    """Exports write local times: Wagtail writes UTC (+00:00 in CSV, naive UTC in XLSX)."""
    custom_value_preprocess = {
        **generic.IndexView.custom_value_preprocess,
        datetime.datetime: {generic.IndexView.FORMAT_CSV: lambda value: f"{local(value):%Y-%m-%d %H:%M:%S}",
                            generic.IndexView.FORMAT_XLSX: local},
    }


class LocalTimeInspectView(generic.InspectView):
    """Wagtail's inspect template formats a time with |localize, which does not convert it from UTC."""

    def get_field_display_value(self, field_name, field):
        value = super().get_field_display_value(field_name, field)
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            return timezone.localtime(value)
        return value


class ScopedIndexView(LocalTimeIndexView):
    scope_action = "record.view"

    def get_base_queryset(self):
        return access.visible(self.request.user, super().get_base_queryset(), self.scope_action)

    def as_spreadsheet(self, queryset, spreadsheet_format):
        auditlog.record("export", actor=self.request.user, request=self.request,
                        obj=(f"{self.model._meta.app_label}.{self.model._meta.model_name}", "", "export"),
                        details={"format": spreadsheet_format, "rows": queryset.count(),
                                 "query": self.request.GET.urlencode()})
        return super().as_spreadsheet(queryset, spreadsheet_format)


class ScopedInspectView(LocalTimeInspectView):
    scope_action = "record.view"

    def get_object(self, queryset=None):
        scoped = access.visible(self.request.user, self.model._default_manager.all(), self.scope_action)
        return get_object_or_404(scoped, pk=unquote(str(self.pk)))


class ScopedViewSetMixin:
    """Use on a ModelViewSet whose model has `scope_hall_path`."""

    index_view_class = ScopedIndexView
    inspect_view_class = ScopedInspectView
