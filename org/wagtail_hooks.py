from functools import partial

from django.urls import path, reverse
from django.utils.translation import gettext as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.account import ChangePasswordPanel

from . import access
from .forms import CountedPasswordChangeForm
from .lockout_views import LockoutsView
from .token_views import ApiTokensView
from .viewsets import AuditEventViewSet, OrganisationGroup


@hooks.register("register_admin_viewset")
def register_org_admin():
    return [OrganisationGroup(), AuditEventViewSet("auditevent")]


@hooks.register("construct_reports_menu")
def hide_site_history(request, menu_items):
    """Wagtail's site history is for those who manage the organisation (org.admin_scope.SiteHistoryView)."""
    if not access.may(request.user, "org.manage"):
        menu_items[:] = [item for item in menu_items if item.name != "site-history"]


@hooks.register("register_admin_urls")
def register_token_urls():
    return [path("api-tokens/", ApiTokensView.as_view(), name="org_api_tokens"),
            path("login-lockouts/", LockoutsView.as_view(), name="org_lockouts")]


class LockoutsMenuItem(MenuItem):
    def is_shown(self, request):
        return access.can(request.user, "org.manage")


@hooks.register("register_settings_menu_item")
def lockouts_menu_item():
    return LockoutsMenuItem(_("Sign-in lockouts"), reverse("org_lockouts"), name="login-lockouts", icon_name="lock",
                            order=900)


@hooks.register("register_account_menu_item")
def api_tokens_menu_item(request):
    return {"url": reverse("org_api_tokens"), "label": _("API tokens"),
            "help_text": _("Make, see and revoke the tokens that let a program use the REST API as you.")}


class CountedPasswordPanel(ChangePasswordPanel):
    """Wagtail's own password panel is off (WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False); this one checks the
    old password through django-axes."""

    @property
    def form_class(self):
        return partial(CountedPasswordChangeForm, request=self.request)

    def is_active(self):
        return self.user.has_usable_password()


@hooks.register("register_account_settings_panel")
def password_panel(request, user, profile):
    return CountedPasswordPanel(request, user, profile)
