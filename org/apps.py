from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from wagtail.users.apps import WagtailUsersAppConfig


class OrgConfig(AppConfig):
    default = True
    name = "org"
    verbose_name = _("Organisation and roles")

    def ready(self):
        from django.conf import settings

        from config import periodic

        from . import anchors, signals  # noqa: F401

        # The event log's head to write-once storage outside the database (org/anchors.py).
        periodic.register("org.anchor_audit_log", settings.AUDIT_ANCHOR_INTERVAL, anchors.write_anchor)


class OrgUsersConfig(WagtailUsersAppConfig):
    """Wagtail's user admin with our user forms (姓名, 工号)."""

    default = False

    user_viewset = "org.viewsets.UserViewSet"
