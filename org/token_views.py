"""The admin's API-token screen: a signed-in user makes a token (shown once), sees their tokens and revokes
them. Only one's own tokens; the rules and the event log are in org/tokens.py."""
from django.conf import settings
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from . import tokens


@method_decorator(never_cache, name="dispatch")
class ApiTokensView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "org/api_tokens.html"
    page_title = gettext_lazy("API tokens")
    header_icon = "key"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            tokens=tokens.tokens_of(self.request.user), now=timezone.now(), default_days=tokens.default_days(),
            max_days=settings.API_TOKEN_MAX_DAYS, **kwargs)

    def post(self, request):
        if "revoke" in request.POST:
            if tokens.revoke(request.user, request.POST.get("revoke", ""), request=request):
                messages.success(request, _("The token is revoked; it no longer works."))
            else:
                messages.error(request, _("No such token of yours."))
            return redirect("org_api_tokens")
        try:
            days = int(request.POST.get("days") or tokens.default_days())
            instance, text = tokens.create(request.user, days, request=request)
        except (ValueError, tokens.TokenError) as exc:
            message = str(exc) if isinstance(exc, tokens.TokenError) else _("Give the number of days.")
            messages.error(request, message)
            return self.render_to_response(self.get_context_data(), status=400)
        return self.render_to_response(self.get_context_data(new_token=text, new_instance=instance))
