from wagtail import hooks

from . import access
from .viewsets import AuditEventViewSet, OrganisationGroup


@hooks.register("register_admin_viewset")
def register_org_admin():
    return [OrganisationGroup(), AuditEventViewSet("auditevent")]


@hooks.register("construct_reports_menu")
def hide_site_history(request, menu_items):
    """Wagtail's site history is for those who manage the organisation (org.admin_scope.SiteHistoryView)."""
    if not access.may(request.user, "org.manage"):
        menu_items[:] = [item for item in menu_items if item.name != "site-history"]
