"""Admin screens for records: scoped listing, masked ID numbers, a logged reveal."""
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button

from org import pii
from org.admin_scope import ScopedIndexView, ScopedInspectView, ScopedViewSetMixin

from .models import Record


class RecordInspectView(ScopedInspectView):
    def get_id_number_display_value(self):
        if self.request.GET.get("reveal") == "1":
            full = pii.reveal(self.request.user, self.object, request=self.request, purpose="admin.inspect")
            return format_html("<strong>{}</strong>", full)
        return self.object.id_number_masked

    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        if pii.may_reveal(self.request.user, self.object):
            url = self.request.path + "?reveal=1"
            buttons.append(Button(_("Show full ID number (logged)"), url=url, icon_name="view", priority=30))
        return buttons


class RecordViewSet(ScopedViewSetMixin, ModelViewSet):
    model = Record
    icon = "doc-full"
    menu_label = _("Customer files")
    menu_order = 200
    add_to_admin_menu = True
    index_view_class = ScopedIndexView
    inspect_view_class = RecordInspectView
    inspect_view_enabled = True
    inspect_view_fields = ["transaction_no", "hall", "clerk", "business_date", "business_type", "customer_name",
                           "service_number", "id_type", "id_number", "status", "created_at"]
    form_fields = ["hall", "clerk", "business_date", "transaction_no", "business_type", "customer_name",
                   "service_number", "id_type", "id_number"]
    list_display = ["transaction_no", "hall", "business_date", "customer_name", "service_number",
                    Column("id_number_masked", label=_("ID number")), "status"]
    list_filter = ["hall", "status", "business_date"]
    search_fields = ["transaction_no", "customer_name", "service_number"]
    list_export = ["transaction_no", "hall.code", "business_date", "business_type", "customer_name",
                   "service_number", "id_type", "id_number_masked", "status"]
    export_headings = {"id_number_masked": _("ID number (masked)"), "hall.code": _("Hall")}
    export_filename = "records"
    copy_view_enabled = False
