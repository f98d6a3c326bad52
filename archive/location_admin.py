"""The archivist's admin screens for stores and boxes (库房, 盒): list, add and edit, every save in the event
log with the values before and after (records.rules_admin's audited viewset); no delete, a box no longer in
use is deactivated. Who may: "location.manage" (org/access.py, through DJANGO_PERMS)."""
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column

from records.rules_admin import RuleViewSet

from . import events
from .models import Box, Store


class StoreViewSet(RuleViewSet):
    model = Store
    icon = "home"
    menu_label = _("Stores")
    create_event, change_event = events.STORE_CREATE, events.STORE_CHANGE
    form_fields = ["code", "name", "active"]
    list_display = ["code", "name", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name"]


class BoxViewSet(RuleViewSet):
    model = Box
    icon = "folder"
    menu_label = _("Boxes")
    create_event, change_event = events.BOX_CREATE, events.BOX_CHANGE
    form_fields = ["store", "row", "column", "shelf", "number", "active"]
    list_display = [Column("label", label=_("Location")), "store", "row", "column", "shelf", "number", "active"]
    list_filter = ["store", "active"]
    search_fields = ["store__code"]
