"""Wagtail admin views narrowed to the user's scope by org.access (part of the query, never afterwards), and
showing times in the local time zone (settings.TIME_ZONE, or the user's own in the admin profile).

Wagtail's generic model views also offer add, edit, delete, history and usage for every model. Objects that
change only through their own transitions (records, the event log) get `ReadOnlyViewSetMixin`: those URLs do
not exist at all (404), so no form can write past the transitions, the scope or the event log. Spreadsheet
exports are refused (403) without the viewset's export action, and every text cell goes through
org.exports.safe_cell.
"""
import datetime

from django.contrib.admin.utils import unquote
from django.core.exceptions import FieldDoesNotExist
from django.db.models import BooleanField
from django.http import HttpResponseForbidden
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from wagtail.admin.auth import permission_denied, require_admin_access
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.admin.views import generic
from wagtail.admin.views.reports.audit_logging import LogEntriesView

from . import access, auditlog
from .exports import safe_cell


def local(value):
    """An aware time as the naive local wall time (what people read and what spreadsheets store)."""
    return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value


class SafeExportMixin:
    """Every cell of a Wagtail spreadsheet export (CSV and XLSX) through safe_cell: a customer name such as
    `=HYPERLINK(...)` stays text. Cells show words, not codes: a field with choices its label (开户类, not
    ownership), a yes/no value 是/否 (not True/False)."""

    def preprocess_field_value(self, field, value, export_format):
        return safe_cell(super().preprocess_field_value(field, export_label(self.model, field, value),
                                                        export_format))


def export_label(model, field_name, value):
    """`value` of `model`'s field `field_name` as the words people read in an export."""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    try:
        field = model._meta.get_field(field_name)
    except Exception:  # a method, a property or a lookup across a relation (hall.code): as it is
        return value
    if getattr(field, "choices", None) and not isinstance(value, (list, tuple)):
        return dict(field.flatchoices).get(value, value)
    return value


class LocalTimeIndexView(SafeExportMixin, generic.IndexView):
    """Exports write local times: Wagtail writes UTC (+00:00 in CSV, naive UTC in XLSX). `export_action`
    (an org.access action, None: whoever sees the list) decides who may export at all."""
    export_action = None
    custom_value_preprocess = {
        **generic.IndexView.custom_value_preprocess,
        datetime.datetime: {generic.IndexView.FORMAT_CSV: lambda value: f"{local(value):%Y-%m-%d %H:%M:%S}",
                            generic.IndexView.FORMAT_XLSX: local},
    }

    def _get_custom_column(self, field_name, column_class=None, **kwargs):
        """A yes/no field as Wagtail's tick/cross column (titled 是/否, templates/wagtailadmin/tables/
        boolean_cell.html), not the words True/False."""
        if column_class is None:
            try:
                field = self.model._meta.get_field(field_name)
            except FieldDoesNotExist:
                field = None
            column_class = BooleanColumn if isinstance(field, BooleanField) else Column
        return super()._get_custom_column(field_name, column_class, **kwargs)

    @property
    def may_export(self):
        return self.export_action is None or access.may(self.request.user, self.export_action)

    def get(self, request, *args, **kwargs):
        if not self.may_export:
            if self.is_export:
                return HttpResponseForbidden(_("You may not export this list"))
            self.list_export = []  # no export buttons
        return super().get(request, *args, **kwargs)


class LocalTimeInspectView(generic.InspectView):
    """Wagtail's inspect template formats a time with |localize, which does not convert it from UTC."""

    def get_field_display_value(self, field_name, field):
        value = super().get_field_display_value(field_name, field)
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            return timezone.localtime(value)
        return value


class ScopedIndexView(LocalTimeIndexView):
    scope_action = "record.view"
    export_action = "record.export"

    def get_base_queryset(self):
        return access.visible(self.request.user, super().get_base_queryset(), self.scope_action)

    def as_spreadsheet(self, queryset, spreadsheet_format):
        # the rows the user may export: the listing's filters, narrowed by the export action's scope too
        queryset = queryset.filter(access.scope_filter(self.request.user, self.model, self.export_action))
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


class ReadOnlyViewSetMixin:
    """Use on a ModelViewSet whose objects change only elsewhere: only the list (with its results and
    export) and the inspect view exist; add, edit, copy, delete, history and usage are no URLs at all, and
    no view links to them."""

    copy_view_enabled = False

    def get_urlpatterns(self):
        patterns = [path("", self.index_view, name="index"),
                    path("results/", self.index_results_view, name="index_results")]
        if self.inspect_view_enabled:
            patterns.append(path(f"inspect/<{self.pk_path_converter}:pk>/", self.inspect_view, name="inspect"))
        return patterns

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        for name in ("add", "edit", "delete", "history", "usage", "copy"):
            view_kwargs[f"{name}_url_name"] = None
        return view_kwargs

    def register_admin_url_finder(self):
        """No edit URL to find (Wagtail's finder would reverse the missing edit view)."""


class ScopedViewSetMixin(ReadOnlyViewSetMixin):
    """Use on a ModelViewSet whose model has `scope_hall_path`."""

    index_view_class = ScopedIndexView
    inspect_view_class = ScopedInspectView


class SiteHistoryView(SafeExportMixin, LogEntriesView):
    """Wagtail's site history lists the log entries of every model (pages, users, the organisation) and
    narrows them by model permission only, not by hall. It is for those who manage the organisation."""

    def dispatch(self, request, *args, **kwargs):
        if not access.may(request.user, "org.manage"):
            return permission_denied(request)
        return super().dispatch(request, *args, **kwargs)


def site_history_urls():
    """Mounted in config/urls.py before Wagtail's admin, so that these paths answer instead of Wagtail's
    own site history (hooks can only add admin URLs after Wagtail's)."""
    def admin_view(**initkwargs):
        return never_cache(require_admin_access(SiteHistoryView.as_view(**initkwargs)))

    return [path("admin/reports/site-history/", admin_view()),
            path("admin/reports/site-history/results/", admin_view(results_only=True))]
