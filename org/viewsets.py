"""Admin screens (Wagtail) for the organisation, role assignments and the event log."""
import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.widgets import AdminDateInput
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.users.views.users import UserViewSet as WagtailUserViewSet

from . import access, eventlabels
from . import forms as org_forms
from .admin_scope import LocalTimeIndexView, LocalTimeInspectView, ReadOnlyViewSetMixin
from .models import AuditEvent, Branch, Department, Hall, RoleAssignment


class UserViewSet(WagtailUserViewSet):
    def get_form_class(self, for_update=False):
        return org_forms.UserEditForm if for_update else org_forms.UserCreationForm


class OrganisationIndexView(LocalTimeIndexView):
    """Branches and halls as far as the user's org.view reaches (a clerk: their own hall and its branch)."""

    def get_base_queryset(self):
        return access.visible(self.request.user, super().get_base_queryset(), "org.view")


class BranchViewSet(ModelViewSet):
    model = Branch
    index_view_class = OrganisationIndexView
    icon = "site"
    menu_label = _("Branch")
    form_fields = ["code", "name"]
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    copy_view_enabled = False


class HallViewSet(ModelViewSet):
    model = Hall
    index_view_class = OrganisationIndexView
    icon = "home"
    menu_label = _("Hall")
    form_fields = ["code", "name", "branch", "kind", "active", "opened_on"]
    list_display = ["code", "name", "branch", "kind", "active"]
    list_filter = ["branch", "kind", "active"]
    search_fields = ["code", "name"]
    copy_view_enabled = False


class DepartmentViewSet(ModelViewSet):
    model = Department
    icon = "group"
    menu_label = _("Department")
    form_fields = ["code", "name"]
    list_display = ["code", "name"]
    copy_view_enabled = False


class RoleAssignmentViewSet(ModelViewSet):
    model = RoleAssignment
    icon = "key"
    menu_label = _("Role assignments")
    form_fields = ["user", "role", "scope", "hall", "branch", "department"]
    list_display = ["user", "role", Column("scope_label", label=_("Scope")), "department"]
    list_filter = ["role", "scope", "hall", "branch"]
    search_fields = ["user__username", "user__full_name"]
    copy_view_enabled = True


class OrganisationGroup(ModelViewSetGroup):
    menu_label = _("Organisation and roles")
    menu_icon = "site"
    menu_order = 800
    items = (BranchViewSet("branch"), HallViewSet("hall"), DepartmentViewSet("department"),
             RoleAssignmentViewSet("roleassignment"))


class AuditEventFilterSet(WagtailFilterSet):
    """The event log's filters in words: actions and object types chosen by their Chinese names (the codes
    stay the values, so a link with ?action=… still filters), the dates as a from/to pair."""

    action = django_filters.CharFilter(label=_("Action"), widget=forms.Select)
    action__startswith = django_filters.ChoiceFilter(field_name="action", lookup_expr="startswith",
                                                     label=_("Area"), choices=eventlabels.AREAS, empty_label=_("All"))
    actor_name = django_filters.CharFilter(label=_("Actor username"))
    object_type = django_filters.CharFilter(label=_("Object type"), widget=forms.Select)
    object_id = django_filters.CharFilter(label=_("Object ID"))
    created_at__date__gte = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte",
                                                      label=_("From date"), widget=AdminDateInput)
    created_at__date__lte = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte",
                                                      label=_("To date"), widget=AdminDateInput)

    class Meta:
        model = AuditEvent
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        chosen = (self.data or {}).get
        actions = eventlabels.action_choices([chosen("action")] if chosen("action") else [])
        types = eventlabels.type_choices([chosen("object_type")] if chosen("object_type") else [])
        everything = [("", _("All"))]
        self.filters["action"].extra["widget"] = forms.Select(choices=everything + actions)
        self.filters["object_type"].extra["widget"] = forms.Select(choices=everything + types)


class AuditEventIndexView(LocalTimeIndexView):
    """The export (CSV and XLSX) in the screen's words: the action, the object type and the details as the
    list shows them (org/eventlabels.py, personal data masked), the actor by name and user name, the time
    as 2026-11-02 14:05:09 (local); the codes follow in columns of their own for auditors who filter by
    them. Cells go through org.exports.safe_cell (SafeExportMixin) like every export."""

    filterset_class = AuditEventFilterSet
    XLSX_TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"

    def get_base_queryset(self):
        queryset = super().get_base_queryset()
        return queryset.select_related("actor") if self.is_export else queryset

    def generate_xlsx_row(self, worksheet, row_dict, date_format=None):
        return super().generate_xlsx_row(worksheet, row_dict, date_format=self.XLSX_TIME_FORMAT)


class AuditEventInspectView(LocalTimeInspectView):
    """Action and object type in words; the details as a line of text, personal data masked."""

    def get_action_display_value(self):
        return eventlabels.action_label(self.object.action)

    def get_object_type_display_value(self):
        return eventlabels.type_label(self.object.object_type)

    def get_object_repr_display_value(self):
        return self.object.get_object_repr_display()

    def get_details_display_value(self):
        return eventlabels.details_text(self.object) or "-"


class ObjectColumn(Column):
    """The object a row is about, a link to its screen where it has one (a handover form, a volume, a file)."""

    cell_template_name = "org/auditlog_object_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["url"] = eventlabels.object_url(instance)
        return context


class AuditEventViewSet(ReadOnlyViewSetMixin, ModelViewSet):
    """Read-only: the event log can be listed, filtered, exported and inspected; add, edit, delete, history
    and usage are no URLs at all (not even for a superuser), and PostgreSQL refuses UPDATE/DELETE."""

    model = AuditEvent
    icon = "history"
    index_view_class = AuditEventIndexView
    inspect_view_class = AuditEventInspectView
    menu_label = _("Event log")
    menu_order = 900
    add_to_admin_menu = True
    list_display = ["seq", "created_at", "actor_name",
                    Column("action", label=_("Action"), accessor="get_action_label", sort_key="action"),
                    Column("object_type", label=_("Object type"), accessor="get_object_type_label",
                           sort_key="object_type"),
                    "object_id", ObjectColumn("object_repr", label=_("Object"), accessor="get_object_repr_display"),
                    Column("details", label=_("Details"), accessor="get_details_text")]
    search_fields = ["action", "actor_name", "object_repr", "object_id"]
    inspect_view_enabled = True
    inspect_view_fields = ["seq", "created_at", "actor_name", "action", "object_type", "object_id",
                           "object_repr", "details", "ip_address", "prev_hash", "hash"]
    copy_view_enabled = False
    # the columns stay where they were (words where codes were); the actor's name and the codes follow
    list_export = ["seq", "created_at", "actor_name", "get_action_label", "get_object_type_label", "object_id",
                   "get_object_repr_display", "get_details_text", "get_actor_full_name", "action", "object_type",
                   "hash"]
    export_headings = {"get_actor_full_name": _("Actor"), "get_action_label": _("Action"),
                       "get_object_type_label": _("Object type"), "get_object_repr_display": _("Object"),
                       "get_details_text": _("Details"), "action": _("Action code"),
                       "object_type": _("Object type code")}
    export_filename = "event-log"
    list_per_page = 50
