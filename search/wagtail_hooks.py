from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from org import access

from . import admin_urls


class SearchMenuItem(MenuItem):
    def is_shown(self, request):
        return not access.scope(request.user, "record.view").empty


@hooks.register("register_admin_urls")
def register_search_urls():
    return [path("search-records/", include(admin_urls))]


@hooks.register("register_admin_menu_item")
def register_search_menu():
    return SearchMenuItem(_("Search customer files"), reverse("search_admin:search"), name="search-records",
                          icon_name="search", order=150)
