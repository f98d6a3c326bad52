from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from org import access

from . import admin_urls, views
from .location_admin import BoxViewSet, StoreViewSet

store_viewset, box_viewset = StoreViewSet("store"), BoxViewSet("box")


class ActionMenuItem(MenuItem):
    def __init__(self, *args, action, **kwargs):
        super().__init__(*args, **kwargs)
        self.action = action

    def is_shown(self, request):
        return access.may(request.user, self.action)


@hooks.register("register_admin_urls")
def register_archive_urls():
    return [path("archive/", include(admin_urls))]


@hooks.register("register_admin_viewset")
def register_location_admin():
    return [store_viewset, box_viewset]


@hooks.register("register_admin_menu_item")
def register_archive_menu():
    items = [
        ActionMenuItem(_("Dashboard"), reverse("archive_admin:dashboard"), action="dashboard.view",
                       name="archive-dashboard", icon_name="view", order=1),
        ActionMenuItem(_("Daily close"), reverse("archive_admin:daily_close"), action="dailyclose.run",
                       name="archive-daily-close", icon_name="list-ul", order=2),
        ActionMenuItem(_("Errors to correct"), reverse("archive_admin:errors"), action="error.correct",
                       name="archive-errors", icon_name="warning", order=3),
        ActionMenuItem(_("Binding and hand-over"), reverse("archive_admin:keeper"), action="volume.bind",
                       name="archive-keeper", icon_name="folder-inverse", order=3),
        ActionMenuItem(_("Branch"), reverse("archive_admin:branch"), action="archive.view",
                       name="archive-branch", icon_name="tasks", order=4),
        ActionMenuItem(_("Retention and holds"), reverse("archive_admin:retention"), action="retention.view",
                       name="archive-retention", icon_name="time", order=5),
        ActionMenuItem(_("Destruction lists"), reverse("archive_admin:destruction_lists"), action="retention.view",
                       name="archive-destruction", icon_name="bin", order=6),
        ActionMenuItem(_("Storage locations"), reverse("archive_admin:locations"), action="location.manage",
                       name="archive-locations", icon_name="folder", order=7),
        ActionMenuItem(_("Stores"), reverse(store_viewset.get_url_name("index")), action="location.manage",
                       name="archive-stores", icon_name="home", order=8),
        ActionMenuItem(_("Boxes"), reverse(box_viewset.get_url_name("index")), action="location.manage",
                       name="archive-boxes", icon_name="folder", order=9),
        ActionMenuItem(_("Look-ups and loans"), reverse("archive_admin:loans"), action="loan.request",
                       name="archive-loans", icon_name="doc-full", order=10),
        ActionMenuItem(_("Loan register"), reverse("archive_admin:loan_register"), action="loan.register",
                       name="archive-loan-register", icon_name="list-ul", order=11),
    ]
    return SubmenuMenuItem(_("Archive chain"), Menu(items=items), name="archive", icon_name="folder-open-inverse",
                           order=250)


@hooks.register("records_inspect_sections")
def record_errors(request, record):
    """The file's entries in the error register, on its record page (records/views.py asks this hook)."""
    return views.record_errors_section(request, record)


@hooks.register("construct_homepage_panels")
def add_todo_panel(request, panels):
    from .panels import TodoPanel

    panels.append(TodoPanel(request.user))
