from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from org import access

from . import admin_urls
from .rules_admin import BusinessTypeViewSet, TransactionFormatViewSet
from .views import RecordViewSet

record_viewset = RecordViewSet("record")
business_type_viewset = BusinessTypeViewSet("businesstype")
transaction_format_viewset = TransactionFormatViewSet("transactionformat")


class UploadMenuItem(MenuItem):
    def is_shown(self, request):
        return access.may(request.user, "record.create")


class ReconcileMenuItem(MenuItem):
    def is_shown(self, request):
        return access.may(request.user, "record.view")


@hooks.register("register_admin_viewset")
def register_records_admin():
    return [record_viewset, business_type_viewset, transaction_format_viewset]


@hooks.register("register_admin_urls")
def register_records_urls():
    return [path("records/", include(admin_urls))]


@hooks.register("register_admin_menu_item")
def register_records_menu():
    items = [
        record_viewset.get_menu_item(order=1),
        UploadMenuItem(_("Upload scans"), reverse("records_admin:upload"), name="records-upload", icon_name="upload",
                       order=2),
        ReconcileMenuItem(_("Reconciliation"), reverse("records_admin:reconcile"), name="records-reconcile",
                          icon_name="tasks", order=3),
        business_type_viewset.get_menu_item(order=4),
        transaction_format_viewset.get_menu_item(order=5),
    ]
    return SubmenuMenuItem(_("Customer files"), Menu(items=items), name="records", icon_name="doc-full",
                           order=record_viewset.menu_order)


@hooks.register("construct_homepage_panels")
def add_records_panel(request, panels):
    from .panels import RecordsPanel

    panels.append(RecordsPanel(request.user))
