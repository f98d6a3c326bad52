from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from wagtail.users.apps import WagtailUsersAppConfig


class OrgConfig(AppConfig):
    default = True
    name = "org"
    verbose_name = _("Organisation and roles")

    def ready(self):
        from . import signals  # noqa: F401


class OrgUsersConfig(WagtailUsersAppConfig):
    """Wagtail's user admin with our user forms (姓名, 工号)."""

    default = False

    user_viewset = "org.viewsets.UserViewSet"
