"""Admin screens for records: scoped listing (with the 待核对 filter) and the record page (the scan's pages
beside the key fields, the flagged fields boxed on them, the next file to check), scan upload, field
corrections, retry, downloads and page images (logged), and reconciliation with the billing system's report.

Every view takes its objects from a queryset narrowed by org.access, and every change asks org.access
again, whatever the form says.
"""
import re

import django_filters
from django import forms
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.db.models import Q
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.widgets.button import Button

from org import access, auditlog, pii
from org.admin_scope import ScopedIndexView, ScopedInspectView, ScopedViewSetMixin
from org.models import Hall, RoleAssignment
from org.roles import Role

from . import (batch, events, intake, keyfields, pageview, reconcile, reportjobs, reportlease, separator, transitions,
               uploads)
from .models import Category, Record, Scan, flagged_q

FIELD_LABELS = {
    "transaction_no": gettext_lazy("Transaction number"),
    "service_number": gettext_lazy("Service number"),
    "id_number": gettext_lazy("ID number"),
    "business_date": gettext_lazy("Business date"),
    "business_type": gettext_lazy("Business type"),
    "customer_name": gettext_lazy("Customer name"),
    "category": gettext_lazy("Category"),
}
RETRYABLE = (Record.Status.OCR_FAILED, Record.Status.OCR_DONE)  # as transitions.retry_ocr allows
NOT_READ_YET = (Record.Status.RECEIVED, Record.Status.OCR_QUEUED, Record.Status.OCR_RUNNING)


def scoped_record(request, pk):
    """The record if the user may see it; 404 otherwise, whether it exists or not."""
    return get_object_or_404(access.visible(request.user, Record.objects.select_related("hall")), pk=pk)


def inspect_url(record):
    return reverse("record:inspect", args=[record.pk])


# --- listing and inspection ------------------------------------------------------------------------

def _suggested(name, entry):
    """The name the billing report suggests for a flagged customer name (records/suggest.py), else None. A
    name, like the column beside it on the page: the report row is of the record's own hall."""
    suggested = entry.get("suggested") or {}
    if name != "customer_name" or not entry.get("problem") or suggested.get("source") != "report":
        return None
    return suggested.get("value") or None


class RecordInspectView(ScopedInspectView):
    template_name = "records/inspect.html"

    @cached_property
    def revealed_id(self):
        """The full ID number when asked for and allowed (the view is logged once), else None."""
        if self.request.GET.get("reveal") == "1" and pii.may_reveal(self.request.user, self.object):
            return pii.reveal(self.request.user, self.object, request=self.request, purpose="admin.inspect")
        return None

    def get_id_number_display_value(self):
        if self.revealed_id:
            return format_html("<strong>{}</strong>", self.revealed_id)
        return self.object.id_number_masked

    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        if pii.may_reveal(self.request.user, self.object):
            url = self.request.path + "?reveal=1"
            buttons.append(Button(_("Show full ID number (logged)"), url=url, icon_name="view", priority=30))
        return buttons

    def key_fields(self):
        """The key fields as read, corrected or entered. A field not read shows 未识别 with its flag, never a
        stand-in: not an empty column ("None"), not the intake day that business_date holds until the reader
        finds the date on the scan (intake gives no other date)."""
        record = self.object
        rows = []
        for name in keyfields.LABELS:
            entry = (record.fields or {}).get(name) or {}
            value = entry.get("value") or ""
            if name == "id_number" and (value or not entry):
                value = self.revealed_id or record.id_number_masked or value
            elif not entry and not (name == "business_date" and record.channel != Record.Channel.MANUAL):
                value = getattr(record, transitions.COLUMN_OF[name]) or ""
            problem = entry.get("problem")
            if not entry and record.status in NOT_READ_YET:
                problem = _("Not read yet")
            confidence = entry.get("confidence")
            initial = "" if name == "id_number" else value.isoformat() if hasattr(value, "isoformat") else value
            rows.append({"name": name, "label": FIELD_LABELS[name], "value": value, "unread": not value,
                         "problem": problem,
                         "confidence": None if confidence is None or not entry.get("value") else round(confidence * 100),
                         "corrected_by": entry.get("corrected_by"), "initial": initial,
                         "from_report": entry.get("source") == "report",
                         "suggested": _suggested(name, entry)})
        return rows

    def place(self):
        """Where the paper file is: its volume (a link for those who may see the chain) and who holds it."""
        record = self.object
        try:
            item = record.volume_item  # archive.VolumeItem, when the file is bound
        except (AttributeError, ObjectDoesNotExist):
            item = None
        volume = item.volume if item else None
        holder = record.holder or (volume.holder if volume else None)
        volume_url = None
        if volume and access.can(self.request.user, "archive.view", volume):
            volume_url = reverse("archive_admin:volume", args=[volume.pk])
        return {"volume": volume, "position": item.position if item else None, "volume_url": volume_url,
                "holder": (holder.get_full_name() or holder.get_username()) if holder else ""}

    def next_flagged(self):
        """The next file to check (待核对) in the list's order, among those the user sees; after the last one
        the first one again; None when this is the only one."""
        record = self.object
        files = access.visible(self.request.user, Record.objects.filter(flagged_q())).exclude(pk=record.pk)
        after = files.filter(Q(business_date__lt=record.business_date) | Q(business_date=record.business_date,
                                                                               pk__lt=record.pk))
        ordered = ("-business_date", "-pk")
        return after.order_by(*ordered).only("pk").first() or files.order_by(*ordered).only("pk").first()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, record = self.request.user, self.object
        following = self.next_flagged()
        try:
            shown_from = pageview.source(record)[2]
        except pageview.Unavailable:
            shown_from = None
        viewer_pages = pageview.pages(record, FIELD_LABELS) if shown_from else []
        context.update(
            key_fields=self.key_fields(), pages=record.pages.all(), scans=record.scans.all(),
            viewer_pages=viewer_pages, shown_from=shown_from,
            located={box["field"] for page in viewer_pages for box in page["boxes"]},
            place=self.place(), next_flagged_url=inspect_url(following) if following else None,
            to_check_url=reverse("record:index") + "?to_check=1", access_copy_name=access_copy_filename(record),
            can_retry=record.status in RETRYABLE and access.can(user, "record.retry", record),
            can_correct=access.can(user, "record.correct", record),
            category_open=transitions.category_open(record), categories=Category.choices,
            is_failed=record.status == Record.Status.OCR_FAILED,
            is_running=record.status == Record.Status.OCR_RUNNING,
            # parts other apps add to the record page (archive: the file's errors, with 已整改), as HTML
            more_sections=[html for fn in hooks.get_hooks("records_inspect_sections")
                           if (html := fn(self.request, record))],
        )
        return context


class RecordFilterSet(WagtailFilterSet):
    """The list's filters, with 待核对: files with a flagged key field (in the query, models.flagged_q)."""
    to_check = django_filters.ChoiceFilter(
        label=gettext_lazy("To check"), method="filter_to_check", empty_label=gettext_lazy("All files"),
        choices=[("1", gettext_lazy("Only files with flagged fields"))])

    class Meta:
        model = Record
        fields = ["to_check", "hall", "status", "business_date"]

    def filter_to_check(self, queryset, name, value):
        return queryset.filter(flagged_q()) if value == "1" else queryset


class RecordIndexView(ScopedIndexView):
    """The list names each file's hall: fetched with the files (one query, not one a row)."""

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("hall")


class RecordViewSet(ScopedViewSetMixin, ModelViewSet):
    """List (scoped; export with record.export) and inspect only: a record is created by intake and changed
    by its transitions, never by a generic form (ScopedViewSetMixin leaves no add/edit/delete/history/usage
    URL)."""
    model = Record
    icon = "doc-full"
    menu_label = gettext_lazy("All customer files")
    menu_order = 200
    add_to_admin_menu = False  # shown inside the 客户资料 submenu, see wagtail_hooks
    index_view_class = RecordIndexView
    inspect_view_class = RecordInspectView
    inspect_view_enabled = True
    # the key fields are in the page's own table (records/inspect.html), read or marked 未识别
    inspect_view_fields = ["hall", "clerk", "id_type", "channel", "created_at"]
    list_display = ["transaction_no", "hall", "business_date", "customer_name", "service_number",
                    Column("id_number_masked", label=gettext_lazy("ID number")), "status",
                    Column("flagged_summary", label=gettext_lazy("To check"))]
    filterset_class = RecordFilterSet
    search_fields = ["transaction_no", "customer_name", "service_number"]
    list_export = ["transaction_no", "hall.code", "business_date", "business_type", "get_category_display",
                   "customer_name", "service_number", "get_id_type_display", "id_number_masked",
                   "get_status_display", "page_count", "created_at"]
    export_headings = {"id_number_masked": gettext_lazy("ID number (masked)"), "hall.code": gettext_lazy("Hall"),
                       "get_category_display": gettext_lazy("Category"), "get_id_type_display": gettext_lazy("ID type"),
                       "get_status_display": gettext_lazy("Status")}
    export_filename = "records"


def _act(request, record, action, change, success, failure=str):
    """Check `action` through org.access, make the change, and report either way as a message (`success`:
    text, or a function of what `change` returned)."""
    try:
        if not access.can(request.user, action, record):
            raise PermissionDenied(_("You are not allowed to do this to customer file #%(id)s") % {"id": record.pk})
        changed = change()
    except (PermissionDenied, transitions.TransitionError) as exc:
        messages.error(request, failure(exc))
    else:
        messages.success(request, success(changed) if callable(success) else success)
    return redirect(inspect_url(record))


@require_POST
def retry(request, pk):
    record = scoped_record(request, pk)
    return _act(request, record, "record.retry", lambda: transitions.retry_ocr(request.user, record, request=request),
                _("Customer file #%(id)d is queued for recognition again") % {"id": record.pk})


@require_POST
def correct(request, pk):
    """Correct one key field, or the category (field "category"); a corrected business type brings its
    category with it (transitions.correct_field), and the message says what became of the category."""
    record = scoped_record(request, pk)
    name, value = request.POST.get("field", ""), request.POST.get("value", "")
    label = str(FIELD_LABELS.get(name, name))
    old_category = record.category

    def success(changed):
        text = _("%(field)s corrected") % {"field": label}
        if name != "business_type" or not transitions.category_open(changed):
            return text
        if changed.category != old_category:
            return _("%(done)s; the category follows it: %(category)s") % {
                "done": text, "category": changed.get_category_display()}
        if not changed.category:
            return _("%(done)s; this business type is not in the business type table: choose the category") % {
                "done": text}
        return text

    return _act(request, record, "record.correct",
                lambda: transitions.correct_field(request.user, record, name, value, request=request),
                success, lambda exc: _("%(field)s was not changed: %(problem)s") % {"field": label, "problem": exc})


@require_POST
def confirm_name(request, pk):
    """Take the customer name the billing report suggests (transitions.confirm_report_name)."""
    record = scoped_record(request, pk)
    label = str(FIELD_LABELS["customer_name"])
    return _act(request, record, "record.correct",
                lambda: transitions.confirm_report_name(request.user, record, request.POST.get("value"),
                                                        request=request),
                _("%(field)s taken from the report") % {"field": label},
                lambda exc: _("%(field)s was not changed: %(problem)s") % {"field": label, "problem": exc})


def _download(request, record, fieldfile, what, filename=None):
    if not fieldfile:
        raise Http404
    auditlog.record(events.RECORD_DOWNLOAD, actor=request.user, obj=record, request=request,
                    details={"file": what, "name": fieldfile.name})
    return FileResponse(fieldfile.open("rb"), as_attachment=True,
                        filename=filename or fieldfile.name.rsplit("/", 1)[-1])


def _name_part(text):
    """A piece of a download's name: letters, digits and Chinese characters only (no path, no quote)."""
    return re.sub(r"[^\w\u4e00-\u9fff-]+", "", str(text or ""))[:40]


def access_copy_filename(record):
    """受理编号_业务类型.pdf: the name a person files the download under. Never the customer's name or ID
    number (a download's name is seen in folders, mail and logs); unread parts are left out."""
    parts = [_name_part(record.transaction_no) or _("customer-file-%(id)s") % {"id": record.pk},
             _name_part(record.business_type)]
    return "_".join(p for p in parts if p) + ".pdf"


def access_copy(request, pk):
    record = scoped_record(request, pk)
    return _download(request, record, record.access_copy, "access_copy", access_copy_filename(record))


@require_GET
def page_image(request, pk, number):
    """One page of the file as an image for the record page's viewer (records/pageview.py): found through
    org.access like the downloads, never stored, and every page shown is written to the event log (it shows
    the full ID number)."""
    record = scoped_record(request, pk)
    try:
        data, what = pageview.render(record, number)
    except pageview.Unavailable:
        raise Http404 from None
    auditlog.record(events.RECORD_VIEW_PAGE, actor=request.user, obj=record, request=request,
                    details={"page": number, "file": what})
    return HttpResponse(data, content_type="image/jpeg")


def master(request, pk):
    scan = get_object_or_404(access.visible(request.user, Scan.objects.select_related("record__hall")), pk=pk)
    return _download(request, scan.record, scan.master, "master")


# --- upload ----------------------------------------------------------------------------------------

def upload_halls(user):
    return access.visible(user, Hall.objects.all(), "record.create").order_by("code")


class UploadView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "records/upload.html"
    page_title = gettext_lazy("Upload scans")
    header_icon = "upload"

    def dispatch(self, request, *args, **kwargs):
        self.halls = list(upload_halls(request.user))
        if not self.halls:
            raise PermissionDenied(_("You may not register customer files"))
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        clerks = (RoleAssignment.objects.filter(role=Role.CLERK, hall__in=self.halls, user__is_active=True)
                  .select_related("user").order_by("hall__code", "user__username"))
        own = next((c.hall_id for c in clerks if c.user_id == self.request.user.pk), None)
        messages_js = {
            "created": _("Received as customer file #%(id)s"), "refused": _("Refused"),
            "duplicate": _("Already received: customer file #%(id)s"), "failed": _("Upload failed (HTTP %(status)s)"),
            "uploading": _("Uploading"), "no_clerk": _("Choose a clerk first"),
            "split": _("Split into %(count)s customer files:"),
        }
        return super().get_context_data(
            halls=self.halls, clerks=clerks, selected_hall=own or self.halls[0].pk, categories=Category.choices,
            endpoint=reverse("records_admin:upload_file"), messages_js=messages_js, **kwargs)


def _fail(message, status, existing=None):
    """A refusal as JSON; `existing` (a duplicate's record) only when the user may see it."""
    data = {"ok": False, "error": str(message), "existing_id": existing.pk if existing else None}
    if existing:
        data["existing_url"] = inspect_url(existing)
    return JsonResponse(data, status=status)


def _intake_failed(request, exc, name):
    if exc.existing is None:
        return _fail(exc.message, 400)
    message, existing = uploads.duplicate_answer(request.user, name, exc.existing, exc.message, request)
    return _fail(message, 400, existing)


def _digits(value):
    return int(value) if (value or "").isdigit() else None


@require_POST
def upload_file(request):
    """One file of the upload screen → JSON."""
    if too_large := uploads.refusal(request):
        return _fail(too_large, 413)
    post = request.POST
    hall = Hall.objects.filter(pk=_digits(post.get("hall"))).first()
    if hall is None:
        return _fail(_("Choose a hall"), 400)
    if not access.can(request.user, "record.create", hall):
        return _fail(_("You may not register customer files for hall %(hall)s") % {"hall": hall.code}, 403)
    clerk = RoleAssignment.objects.filter(role=Role.CLERK, hall=hall, user__is_active=True,
                                          user__pk=_digits(post.get("clerk"))).select_related("user").first()
    if clerk is None:
        return _fail(_("Choose a clerk of hall %(hall)s") % {"hall": hall.code}, 400)
    category = post.get("category", "")
    if category and category not in Category.values:
        return _fail(_("Unknown category"), 400)
    upload = request.FILES.get("file")
    if upload is None:
        return _fail(_("No file was sent"), 400)
    if post.get("split"):
        return _split(request, hall, clerk.user, upload, category)
    try:
        record = intake.ingest(request.user, hall=hall, clerk=clerk.user, fileobj=upload, name=upload.name,
                               channel=Record.Channel.ADMIN, category=category, request=request)
    except PermissionDenied as exc:
        return _fail(exc, 403)
    except intake.IntakeError as exc:
        return _intake_failed(request, exc, upload.name)
    return JsonResponse({"ok": True, "id": record.pk, "url": inspect_url(record)}, status=201)


def _split(request, hall, clerk, upload, category):
    try:
        result = batch.ingest_batch(request.user, hall=hall, clerk=clerk, fileobj=upload, name=upload.name,
                                    channel=Record.Channel.ADMIN, category=category, request=request)
    except PermissionDenied as exc:
        return _fail(exc, 403)
    except intake.IntakeError as exc:
        return _intake_failed(request, exc, upload.name)
    refused = uploads.answer_refused(request.user, result.refused, request)
    return JsonResponse({
        "ok": bool(result.records), "error": "；".join(message for _, message, _ in refused),
        "records": [{"id": r.pk, "url": inspect_url(r)} for r in result.records],
        "refused": [{"name": name, "error": message} for name, message, _ in refused],
    }, status=201 if result.records else 400)


@require_GET
def separator_sheet(request):
    """The printable separator sheet (PDF) for batch scanning."""
    response = HttpResponse(separator.separator_sheet_pdf(), content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="separator-sheet.pdf"'
    return response


# --- reconciliation --------------------------------------------------------------------------------

class ReportForm(forms.Form):
    report = forms.FileField(label=gettext_lazy("Operator report (CSV or Excel .xlsx from BOSS)"))


class ReconcileMixin(WagtailAdminTemplateMixin):
    header_icon = "tasks"

    def dispatch(self, request, *args, **kwargs):
        if not access.may(request.user, "record.view"):
            raise PermissionDenied(_("You may not reconcile customer files"))
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": reverse("records_admin:reconcile"), "label": _("Reconciliation")}]


class ReconcileView(ReconcileMixin, TemplateView):
    """The reports the user may see, and the import (only for those who may `report.import`, only rows of
    their halls; see records.reconcile)."""
    template_name = "records/reconcile.html"
    page_title = gettext_lazy("Reconciliation")
    upload_limit = staticmethod(reconcile.max_report_bytes)  # read by records.uploads while the body arrives

    def get_context_data(self, **kwargs):
        user = self.request.user
        reports = reconcile.visible_reports(user).select_related("imported_by")[:100]
        return super().get_context_data(form=kwargs.pop("form", None) or ReportForm(), reports=reports,
                                        may_import=access.may(user, "report.import"), **kwargs)

    def post(self, request):
        if not access.may(request.user, "report.import"):
            raise PermissionDenied(_("You may not import operator reports"))
        problems, status = [], 400
        if too_large := uploads.refusal(request):
            problems, status, form = [too_large], 413, ReportForm()
        else:
            form = ReportForm(request.POST, request.FILES)
        if not problems and form.is_valid():
            upload = form.cleaned_data["report"]
            try:  # only stored and queued here: the worker reads and imports it (records.reportjobs)
                job = reportjobs.queue(request.user, upload, request=request)
            except reconcile.ReportError as exc:
                problems, status = exc.problems, 413
            else:
                return redirect("records_admin:reconcile_job", pk=job.pk)
        if problems:
            messages.error(request, _("The report was not imported; nothing was saved"))
        return self.render_to_response(self.get_context_data(form=form, problems=problems), status=status)


def _job_state(job):
    """What the screen shows of a job, and what its JSON endpoint answers."""
    if job.status == job.Status.QUEUED and job.attempts:
        text = _("The worker stopped during the import; nothing was saved. Another worker starts it again "
                 "(attempt %(next)d of %(max)d)") % {"next": job.attempts + 1, "max": reportlease.max_attempts()}
    elif job.status == job.Status.QUEUED:
        text = _("Waiting for the worker to start the import")
    elif job.status == job.Status.RUNNING and job.stage == "saving":
        text = _("Saving %(total)d rows") % {"total": job.rows_total}
    elif job.status == job.Status.RUNNING:
        text = _("Reading the file: %(done)d of about %(total)d rows") % {"done": job.rows_done,
                                                                           "total": job.rows_total}
    elif job.status == job.Status.DONE:
        text = _("Report imported: %(rows)d rows") % {"rows": job.rows_total}
    else:
        text = _("The report was not imported; nothing was saved")
    return {"status": job.status, "stage": job.stage, "attempts": job.attempts, "rows_done": job.rows_done, "rows_total": job.rows_total,
            "percent": job.percent, "text": str(text), "problems": job.problems, "finished": job.finished,
            "result_url": reverse("records_admin:reconcile_result", args=[job.report_id]) if job.report_id else None}


class ReconcileJobView(ReconcileMixin, TemplateView):
    """The progress of one's own report import; once imported, the reconciliation result."""
    template_name = "records/reconcile_job.html"
    page_title = gettext_lazy("Report import")

    def get(self, request, *args, **kwargs):
        job = get_object_or_404(reportjobs.visible_jobs(request.user), pk=kwargs["pk"])
        if job.status == job.Status.DONE and job.report_id:
            messages.success(request, _("Report imported: %(rows)d rows") % {"rows": job.rows_total})
            return redirect("records_admin:reconcile_result", pk=job.report_id)
        return self.render_to_response(self.get_context_data(job=job, state=_job_state(job),
                                                             status_url=reverse("records_admin:reconcile_job_status",
                                                                                args=[job.pk])))


@require_GET
def reconcile_job_status(request, pk):
    """The progress of one's own report import as JSON (polled by its page)."""
    job = get_object_or_404(reportjobs.visible_jobs(request.user), pk=pk)
    return JsonResponse(_job_state(job))


class ReconcileResultView(ReconcileMixin, TemplateView):
    template_name = "records/reconcile_result.html"
    page_title = gettext_lazy("Reconciliation result")

    @cached_property
    def report(self):  # looked up only after ReconcileMixin's permission check; another hall's report: 404
        return get_object_or_404(reconcile.visible_reports(self.request.user), pk=self.kwargs["pk"])

    def get_page_subtitle(self):
        return self.report.source_name

    def get_context_data(self, **kwargs):
        result = reconcile.reconcile_report(self.report, self.request.user)
        return super().get_context_data(report=self.report, result=result, **kwargs)
