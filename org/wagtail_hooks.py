from wagtail import hooks

from .viewsets import AuditEventViewSet, OrganisationGroup


@hooks.register("register_admin_viewset")
def register_org_admin():
    return [OrganisationGroup(), AuditEventViewSet("auditevent")]
