"""The admin home page's panel for customer files: how many of the user's files (inside their scope, in the
query) are being read, have failed, or were read today, and the latest failures with their reasons, each a
link to the record where it can be retried."""
from django.db.models import Count, Q
from django.utils import timezone
from wagtail.admin.ui.components import Component

from org import access

from .models import Record

S = Record.Status
IN_PROGRESS = (S.RECEIVED, S.OCR_QUEUED, S.OCR_RUNNING)
LATEST = 5


class RecordsPanel(Component):
    name = "records"
    template_name = "records/home_panel.html"
    order = 50

    def __init__(self, user):
        self.user = user

    def render_html(self, parent_context=None):
        if not access.may(self.user, "record.view"):
            return ""  # handbook-only users: no panel
        return super().render_html(parent_context)

    def get_context_data(self, parent_context=None):
        records = access.visible(self.user, Record.objects.all(), "record.view")
        today = timezone.localdate()
        counts = records.aggregate(
            in_progress=Count("pk", filter=Q(status__in=IN_PROGRESS)),
            failed=Count("pk", filter=Q(status=S.OCR_FAILED)),
            read_today=Count("pk", filter=Q(status=S.OCR_DONE, created_at__date=today)),
        )
        failures = records.filter(status=S.OCR_FAILED).select_related("hall").order_by("-id")[:LATEST]
        return {"counts": counts, "failures": failures, "status": S}
