"""The admin's 登录锁定 screen: who is locked out by wrong passwords (user names and addresses) and until when;
the system administrator lifts a lockout (logged). The rules are django-axes' and org/lockout.py's."""
from axes.helpers import get_cool_off
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from . import access, lockout


class LockoutsView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "org/lockouts.html"
    page_title = gettext_lazy("Sign-in lockouts")
    header_icon = "lock"

    def dispatch(self, request, *args, **kwargs):
        if not access.can(request.user, "org.manage"):
            raise PermissionDenied(_("Only the system administrator may lift lockouts."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        minutes = int(get_cool_off().total_seconds() // 60)
        return super().get_context_data(rows=lockout.recent_failures(), minutes=minutes, **kwargs)

    def post(self, request):
        kind, value = request.POST.get("kind"), (request.POST.get("value") or "").strip()
        if kind not in ("username", "ip_address") or not value:
            messages.error(request, _("Choose a user name or an address to unlock."))
            return redirect("org_lockouts")
        lockout.unlock(username=value if kind == "username" else "",
                       address=value if kind == "ip_address" else "", actor=request.user, request=request)
        messages.success(request, _("Unlocked: %(value)s") % {"value": value})
        return redirect("org_lockouts")
