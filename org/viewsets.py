"""Admin screens (Wagtail) for the organisation, role assignments and the event log."""
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.users.views.users import UserViewSet as WagtailUserViewSet

from . import access, forms
from .admin_scope import LocalTimeIndexView, LocalTimeInspectView, ReadOnlyViewSetMixin
from .models import AuditEvent, Branch, Department, Hall, RoleAssignment


class UserViewSet(WagtailUserViewSet):
    def get_form_class(self, for_update=False):
        return forms.UserEditForm if for_update else forms.UserCreationForm


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


class AuditEventViewSet(ReadOnlyViewSetMixin, ModelViewSet):
    """Read-only: the event log can be listed, filtered, exported and inspected; add, edit, delete, history
    and usage are no URLs at all (not even for a superuser), and PostgreSQL refuses UPDATE/DELETE."""

    model = AuditEvent
    icon = "history"
    index_view_class = LocalTimeIndexView
    inspect_view_class = LocalTimeInspectView
    menu_label = _("Event log")
    menu_order = 900
    add_to_admin_menu = True
    list_display = ["seq", "created_at", "actor_name", "action", "object_type", "object_id", "object_repr"]
    list_filter = {"action": ["exact", "startswith"], "actor_name": ["exact"], "object_type": ["exact"],
                   "object_id": ["exact"], "created_at": ["date__gte", "date__lte"]}
    search_fields = ["action", "actor_name", "object_repr", "object_id"]
    inspect_view_enabled = True
    inspect_view_fields = ["seq", "created_at", "actor_name", "action", "object_type", "object_id",
                           "object_repr", "details", "ip_address", "prev_hash", "hash"]
    copy_view_enabled = False
    list_export = ["seq", "created_at", "actor_name", "action", "object_type", "object_id",
                   "get_object_repr_display", "get_details_display", "hash"]
    export_headings = {"get_object_repr_display": _("Object"), "get_details_display": _("Details")}
    export_filename = "event-log"
    list_per_page = 50
