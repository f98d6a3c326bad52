"""Admin entry points of the handbook: a link to the reading site for the editors' groups."""
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
