"""Admin entry points of the handbook: a link to the reading site for the editors' groups; the home page's
panel of versions about to take effect (handbook/panels.py); Wagtail documents (the handbook's attachments)
only for signed-in users who may read the handbook."""
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from org import access


class ReadHandbookMenuItem(MenuItem):
    def is_shown(self, request):
        return access.can(request.user, "handbook.read")


@hooks.register("register_admin_menu_item")
def register_handbook_menu():
    from .models import HandbookPage

    root = HandbookPage.objects.first()
    return ReadHandbookMenuItem(_("Read the handbook"), root.url if root else "/", name="handbook-read",
                                icon_name="doc-full", order=900)


@hooks.register("before_serve_document")
def documents_need_a_reader(document, request):
    """/documents/<id>/<name> is Wagtail's public view: sign-in and handbook.read first (anonymous users go
    to the sign-in page, others without the role get 403)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), settings.WAGTAIL_FRONTEND_LOGIN_URL)
    if not access.can(request.user, "handbook.read"):
        raise PermissionDenied


@hooks.register("construct_homepage_panels")
def add_upcoming_versions_panel(request, panels):
    from .panels import UpcomingVersionsPanel

    panels.append(UpcomingVersionsPanel(request.user))
