from functools import partial

from django.urls import path, reverse
from django.utils.translation import gettext as _
from wagtail import hooks
from wagtail.admin.views.account import ChangePasswordPanel

from .forms import CountedPasswordChangeForm
from .token_views import ApiTokensView
from .viewsets import AuditEventViewSet, OrganisationGroup


@hooks.register("register_admin_viewset")
def register_org_admin():
    return [OrganisationGroup(), AuditEventViewSet("auditevent")]


@hooks.register("register_admin_urls")
def register_token_urls():
    return [path("api-tokens/", ApiTokensView.as_view(), name="org_api_tokens")]


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
