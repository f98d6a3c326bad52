"""Admin screens of the chain. Every object comes from a queryset narrowed by org.access for the action at
hand (outside the scope: 404), and every change goes through a transition, which asks org.access again
(wrong role: 403). A refused step shows its reason and changes nothing."""
import datetime
import tempfile
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from org import access, auditlog
from org.models import Branch, Hall
from records.intake import tmp_dir
from records.models import Record

from . import (dailyclose, dashboard, errors, events, handover, level1, level2, loans, locations, monthly, printing,
               todo)
from .base import ChainError
from .binding import Bind, CloseMonth, FixReturned, ReturnToLevel1
from .models import ErrorEntry, HandoverForm, Level1Audit, Level2Audit, MarketingCheck, Volume


def scoped(request, model, pk, action):
    """The object if `action` covers it for this user; 404 otherwise, whether it exists or not."""
    return get_object_or_404(access.visible(request.user, model.objects.all(), action), pk=pk)


def scoped_halls(user, action):
    return access.visible(user, Hall.objects.all(), action)


def _back(request, fallback="archive_admin:dashboard"):
    target = request.POST.get("next") or ""
    return redirect(target if target.startswith("/admin/") else reverse(fallback))


def _refusal(exc):
    """A refused step's message; the files without a category as links to their record pages, to fix there."""
    if not isinstance(exc, dailyclose.CategoryMissing):
        return str(exc)
    records = exc.records
    links = format_html_join("、", '<a href="{}">{}</a>',
                             ((reverse("record:inspect", args=[r.pk]), str(r)) for r in records))
    return format_html('{} <span id="archive-refused-records">{}</span>',
                       _("Give these files a category first (open one to correct it):"), links)


def action_view(func):
    """POST only; a ChainError becomes a message and nothing is changed (the transition rolled back)."""

    @require_POST
    @wraps(func)
    def wrapper(request, *args, **kwargs):
        try:
            text = func(request, *args, **kwargs)
        except ChainError as exc:
            messages.error(request, _refusal(exc))
        else:
            if text:
                messages.success(request, text)
        return _back(request)

    return wrapper


# What a user typed into a refused audit mark, shown again in its row: a refusal loses nothing typed.
DRAFTS = "archive-drafts"


def _keep_draft(request, form, record_pk, **fields):
    if any((v or "").strip() for v in fields.values()):
        drafts = request.session.get(DRAFTS) or {}
        drafts[f"{form}:{record_pk}"] = {k: (v or "")[:300] for k, v in fields.items()}
        request.session[DRAFTS] = drafts


def _take_drafts(request, form):
    """{record id: fields} kept for `form` by refused marks, taken out of the session (shown once)."""
    drafts = request.session.get(DRAFTS) or {}
    prefix = f"{form}:"
    mine = {int(k[len(prefix):]): v for k, v in drafts.items() if k.startswith(prefix)}
    if mine:
        request.session[DRAFTS] = {k: v for k, v in drafts.items() if not k.startswith(prefix)}
    return mine


def _pdf(data, name):
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


def _date(value):
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ChainError(_("Give a date as YYYY-MM-DD.")) from None


def _int(value, name):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ChainError(_("%(name)s must be a number.") % {"name": name}) from None


class Screen(WagtailAdminTemplateMixin, TemplateView):
    header_icon = "folder-open-inverse"
    action = "dashboard.view"

    def dispatch(self, request, *args, **kwargs):
        if not access.may(request.user, self.action):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        """Home, the chain's dashboard (for those who may see it), then this screen under its own name: the
        header shows the last item, so a screen with only "Home" there was titled 首页."""
        items = list(self.breadcrumbs_items)
        dashboard_url = reverse("archive_admin:dashboard")
        if self.request.path != dashboard_url and access.may(self.request.user, "dashboard.view"):
            items.append({"url": dashboard_url, "label": DashboardView.page_title})
        return [*items, {"url": "", "label": self.get_header_title()}]


# --- screens ---------------------------------------------------------------------------------------

class DashboardView(Screen):
    template_name = "archive/dashboard.html"
    page_title = gettext_lazy("Archive chain")

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            waiting_chart=dashboard.bar_chart(dashboard.waiting(user), _("Files waiting at each step")),
            clerk_chart=dashboard.bar_chart(dashboard.errors_per_clerk(user), _("Errors per clerk")),
            hall_chart=dashboard.bar_chart(dashboard.errors_per_hall_month(user), _("Errors per hall and month")),
            in_transit=dashboard.in_transit(user), volumes=dashboard.volumes(user)[:200],
            returns=dashboard.returns(user), audit_days=dashboard.audit_days(user),
            open_errors=dashboard.open_errors(user), may_correct=access.may(user, "error.correct"),
            forms=access.visible(user, HandoverForm.objects.all(), "archive.view").select_related("hall", "branch")[:50]
            if access.may(user, "archive.view") else [],
            integrity=dashboard.integrity_problems(user),
            overdue_loans=loans.overdue(user).select_related("requester")[:50] if access.may(user, "loan.register") else [],
            **kwargs)


class DailyCloseView(Screen):
    template_name = "archive/daily_close.html"
    page_title = gettext_lazy("Daily close")
    action = "dailyclose.run"

    def get_context_data(self, **kwargs):
        user = self.request.user
        records = access.visible(user, Record.objects.filter(clerk=user, status=Record.Status.OCR_DONE),
                                 "dailyclose.run").order_by("business_date", "category")
        return super().get_context_data(records=records, halls=scoped_halls(user, "dailyclose.run"),
                                        today=timezone.localdate(), **kwargs)


def _hall_day(request, hall_id, day):
    hall = scoped(request, Hall, hall_id, "audit.level1")
    try:
        return hall, datetime.date.fromisoformat(day)
    except ValueError:
        raise Http404 from None


def _report_of(hall, report_id):
    """A report with rows of `hall` (another hall's report: 404), or None when none is asked for."""
    if not report_id:
        return None
    return get_object_or_404(level1.reports_of(hall), pk=_int(report_id, "report"))


def _level1_rows(audit, records, checks, drafts=None, bulk=None):
    """What a row of the level-1 screen shows of each file: its result, what the report says, why it is not
    in the bulk pass, the error kinds registered; the text a refused mark kept."""
    drafts = drafts or {}
    records = list(records)
    kinds = {}
    for entry in ErrorEntry.objects.filter(record__in=records, level=ErrorEntry.Level.L1,
                                           corrected_at__isnull=True).order_by("found_at", "pk"):
        kinds.setdefault(entry.record_id, []).append(entry.kind)
    if bulk is None:
        open_ids = errors.records_with_open_errors(r.pk for r in records)
        bulk = {r.pk: level1.not_in_bulk(r, checks.get(r.pk), open_ids) for r in records}
    S = Record.Status
    return [{"record": r, "draft": drafts.get(r.pk, {}), "check": checks.get(r.pk),
             "reasons": bulk.get(r.pk, []) if r.status in (S.SORTED, S.L1_ERROR) else [],
             "done": r.status in (S.L1_PASSED, S.AT_HALL, S.BOUND), "error": r.status == S.L1_ERROR,
             "markable": r.status in level1.AUDITABLE, "kinds": kinds.get(r.pk, [])} for r in records]


def _level1_url(audit):
    return reverse("archive_admin:level1", args=[audit.hall_id, audit.day.isoformat()])


class Level1View(Screen):
    """Reads only: `?report=` compares with another report without saving the choice; opening the day's
    record and choosing its report are POSTs (level1_open). Each row's mark is a form of its own; with
    JavaScript (archive/static/archive/marks.js) it is sent in the background and the answer replaces the
    row, the progress and the error register, without reloading the page."""
    template_name = "archive/level1.html"
    page_title = gettext_lazy("Level-1 audit")
    action = "audit.level1"

    def get_context_data(self, **kwargs):
        hall, day = _hall_day(self.request, self.kwargs["hall_id"], self.kwargs["day"])
        kwargs = {k: v for k, v in kwargs.items() if k not in ("hall_id", "day")}
        try:
            report = _report_of(hall, self.request.GET.get("report"))
        except ChainError:
            raise Http404 from None
        audit = level1.existing_audit(hall, day)
        drafts = _take_drafts(self.request, f"level1-{audit.pk}") if audit.pk else {}
        records = level1.day_records(audit).select_related("clerk").order_by("transaction_no")
        result = level1.reconciliation(audit, report)
        rows = _level1_rows(audit, records, level1.row_checks(result), drafts)
        return super().get_context_data(
            audit=audit, hall=hall, day=day, reconciliation=result, next_url=self.request.get_full_path(),
            shown_report=report.pk if report else audit.report_id, rows=rows,
            bulk_ready=sum(1 for row in rows if row["markable"] and not row["done"] and not row["reasons"]),
            progress=level1.progress(audit), reports=level1.reports_of(hall)[:20],
            errors=ErrorEntry.objects.filter(record__in=records).select_related("record", "clerk"), **kwargs)


class ErrorsView(Screen):
    """业务差错整改: the uncorrected errors of every level in the user's scope, each with its 已整改 button. The
    keeper finds here the level-2 errors of a volume the branch sent back (it is fixed only once they are
    corrected, archive/binding.py FixReturned)."""
    template_name = "archive/errors.html"
    page_title = gettext_lazy("Errors to correct")
    action = "error.correct"

    def get_context_data(self, **kwargs):
        user = self.request.user
        corrected = (access.visible(user, ErrorEntry.objects.filter(corrected_at__isnull=False), "error.correct")
                     .select_related("record", "corrected_by").order_by("-corrected_at")[:20])
        entries = (access.visible(user, errors.open_entries(), "error.correct")
                   .select_related("record__hall", "clerk", "found_by")
                   .annotate(volume_pk=F("record__volume_item__volume"),
                             volume_number=F("record__volume_item__volume__number"))  # bound: its volume
                   .order_by("found_at", "pk"))
        return super().get_context_data(entries=entries[:500], total=entries.count(), corrected=corrected, **kwargs)


def record_errors_section(request, record):
    """The record page's part of the error register (registered by wagtail_hooks): its errors, with a 已整改
    button on the open ones for a user who may correct them; "" when the file has none."""
    entries = list(record.errors.select_related("clerk", "found_by", "corrected_by").order_by("found_at", "pk"))
    if not entries:
        return ""
    return render_to_string("archive/record_errors.html", {
        "entries": entries, "may_correct": access.can(request.user, "error.correct", record),
        "may_list": access.may(request.user, "error.correct")}, request=request)


class KeeperView(Screen):
    template_name = "archive/keeper.html"
    page_title = gettext_lazy("Binding and hand-over to the branch")
    action = "volume.bind"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            waiting=access.visible(user, Record.objects.filter(status=Record.Status.AT_HALL), "volume.bind")
            .select_related("hall").order_by("hall__code", "category", "business_date", "transaction_no"),
            volumes=access.visible(user, Volume.objects.exclude(status__in=[Volume.Status.AT_MARKETING]),
                                   "volume.bind").select_related("hall", "holder").annotate(file_count=Count("items")),
            halls=scoped_halls(user, "volume.close_short"), close=last_month(), **kwargs)


class FormView(Screen):
    template_name = "archive/form.html"
    page_title = gettext_lazy("Handover form")
    action = "archive.view"

    def get_context_data(self, **kwargs):
        kwargs.pop("pk", None)
        form = scoped(self.request, HandoverForm, self.kwargs["pk"], "archive.view")
        user = self.request.user
        rows = handover.contents(form)
        counted = set(form.counted or [])
        for row in rows:
            row["counted"] = row["key"] in counted
        records = (form.records.select_related("hall").order_by("transaction_no", "pk")
                   if form.kind == HandoverForm.Kind.CLERK_HALL else [])
        return super().get_context_data(
            rows=rows, total=handover.contents_total(form, rows), records=records,
            form=form, may_answer=form.status == HandoverForm.Status.GIVEN
            and access.can(user, f"handover.{form.kind}.receive", form),
            may_check=access.can(user, "marketing.check", form) and form.kind == HandoverForm.Kind.BRANCH_MARKETING,
            checks=[(check, monthly.describe(check.differences, user, form)) for check in form.checks.all()],
            **kwargs)


def _sample_rows(records, findings, drafts=None, level=None):
    """The sampled files of a level-2 audit or a process check, in transaction order, each with the result
    recorded for it (None: not checked yet) and the text a refused finding kept."""
    drafts = drafts or {}
    records = list(records)
    kinds = {}
    if level:  # findings recorded before the kind was kept with them: the kinds from the error register
        for entry in ErrorEntry.objects.filter(record__in=records, level=level).order_by("found_at", "pk"):
            kinds.setdefault(entry.record_id, []).append(entry.kind)
    rows = []
    for record in sorted(records, key=lambda r: (r.transaction_no or "", r.pk)):
        finding = findings.get(str(record.pk))
        if finding and not finding.get("ok") and not finding.get("kind"):
            finding = {**finding, "kind": "、".join(kinds.get(record.pk, []))}
        rows.append({"record": record, "finding": finding, "draft": drafts.get(record.pk, {})})
    return rows


def _sample_progress(sample, findings):
    checked = [findings[str(pk)] for pk in sample if str(pk) in findings]
    return {"checked": len(checked), "total": len(sample), "errors": sum(1 for f in checked if not f.get("ok"))}


class VolumeView(Screen):
    template_name = "archive/volume.html"
    page_title = gettext_lazy("Volume")
    action = "archive.view"

    def get_context_data(self, **kwargs):
        kwargs.pop("pk", None)
        volume = scoped(self.request, Volume, self.kwargs["pk"], "archive.view")
        audit = volume.level2_audits.first()
        sample = Record.objects.filter(pk__in=audit.sample) if audit else []
        drafts = _take_drafts(self.request, f"level2-{audit.pk}") if audit else {}
        return super().get_context_data(
            volume=volume, items=volume.items.select_related("record"), audit=audit,
            sample=_sample_rows(sample, audit.findings, drafts, ErrorEntry.Level.L2) if audit else [],
            sample_progress=_sample_progress(audit.sample, audit.findings) if audit else None,
            may_audit=access.can(self.request.user, "audit.level2", volume),
            may_return=access.can(self.request.user, "volume.return_to_level1", volume),
            may_check=access.can(self.request.user, "integrity.check", volume),
            forms=volume.forms.all(), location=locations.label(getattr(volume, "custody", None)), **kwargs)


def current_quarter(today=None):
    today = today or timezone.localdate()
    return (today.month - 1) // 3 + 1


def last_month(today=None):
    """A month is closed and handed over after it ends: the forms offer the month before this one."""
    before = (today or timezone.localdate()).replace(day=1) - datetime.timedelta(days=1)
    return {"year": before.year, "month": before.month}


class BranchView(Screen):
    template_name = "archive/branch.html"
    page_title = gettext_lazy("Branch: level-2 audit and monthly handover")
    action = "archive.view"

    def get_context_data(self, **kwargs):
        user = self.request.user
        today = timezone.localdate()
        checks = []
        if access.may(user, "marketing.check"):
            checks = list(access.visible(user, MarketingCheck.objects.filter(kind=MarketingCheck.Kind.PROCESS),
                                         "marketing.check").select_related("branch", "checker")[:20])
            for check in checks:
                check.progress = _sample_progress(check.sample, check.findings)
        return super().get_context_data(
            branches=access.visible(user, Branch.objects.all(), "handover.branch_marketing.give"),
            marketing_branches=access.visible(user, Branch.objects.all(), "marketing.check"),
            volumes=access.visible(user, Volume.objects.filter(status=Volume.Status.AT_BRANCH), "audit.level2"),
            today=today, quarter=current_quarter(today), process_checks=checks,
            handover_month=todo.give_months(user)[0].first() or last_month(today), **kwargs)


class ProcessCheckView(Screen):
    """A quarterly process check: the agreements drawn, each linked to its file, with the result recorded
    for it and a form to record one."""
    template_name = "archive/process_check.html"
    page_title = gettext_lazy("Quarterly process check")
    action = "marketing.check"

    def get_context_data(self, **kwargs):
        kwargs.pop("pk", None)
        check = scoped(self.request, MarketingCheck, self.kwargs["pk"], "marketing.check")
        if check.kind != MarketingCheck.Kind.PROCESS:
            raise Http404
        drafts = _take_drafts(self.request, f"process-{check.pk}")
        records = Record.objects.filter(pk__in=check.sample).select_related("hall", "volume_item__volume")
        return super().get_context_data(
            check=check, rows=_sample_rows(records, check.findings, drafts, ErrorEntry.Level.MARKETING),
            progress=_sample_progress(check.sample, check.findings), **kwargs)


# --- actions ---------------------------------------------------------------------------------------

@action_view
def daily_close(request):
    hall = scoped(request, Hall, request.POST.get("hall"), "dailyclose.run")
    counts = dailyclose.DailyClose(request.user, hall, _date(request.POST.get("day")), request).run()
    return _("Sorted: ownership %(ownership)d, general %(general)d, agreements %(agreement)d") % counts


@action_view
def level1_open(request, hall_id, day):
    hall, day = _hall_day(request, hall_id, day)
    level1.open_audit(request.user, hall, day, _report_of(hall, request.POST.get("report")), request)
    return _("The level-1 audit record of %(hall)s on %(day)s is open.") % {"hall": hall.code, "day": day}


def _wants_row(request):
    """A mark sent by marks.js: answered with the row, not a redirect."""
    return request.headers.get("X-Archive-Row") == "1"


def _level1_answer(request, audit, record, ok, message, draft=None):
    """The JSON answer to a mark sent in the background: the message, the file's row as it is now, the
    progress and the error register of the day."""
    audit = Level1Audit.objects.select_related("hall").get(pk=audit.pk)
    record = Record.objects.select_related("clerk", "hall").get(pk=record.pk)
    checks = level1.row_checks(level1.reconciliation(audit))
    if record.pk not in checks and record.status in level1.AUDITABLE:
        checks[record.pk] = ""  # not compared (no report chosen): nothing said against it
    context = {"audit": audit, "next_url": _level1_url(audit), "progress": level1.progress(audit),
               "errors": ErrorEntry.objects.filter(record__in=level1.day_records(audit))
               .select_related("record", "clerk")}
    context["row"] = _level1_rows(audit, [record], checks, {record.pk: draft or {}})[0]
    return JsonResponse({
        "ok": ok, "message": str(message),
        "row": render_to_string("archive/level1_row.html", context, request=request),
        "progress": render_to_string("archive/level1_progress.html", context, request=request),
        "errors": render_to_string("archive/level1_errors.html", context, request=request)})


@require_POST
def level1_mark(request, pk):
    audit = scoped(request, Level1Audit, pk, "audit.level1")
    record = scoped(request, Record, request.POST.get("record"), "audit.level1")
    passed = request.POST.get("result") == "passed"  # only the 通过 button itself passes a file
    kind, note = request.POST.get("error_kind", ""), request.POST.get("note", "")
    try:
        errors.refuse_pass_with_error(passed, kind, note)  # 说明 on this screen describes an error
        level1.Mark(request.user, audit, record, passed, note, kind, request).run()
    except ChainError as exc:
        if _wants_row(request):  # the row comes back with what was typed in it
            return _level1_answer(request, audit, record, False, _refusal(exc), {"error_kind": kind, "note": note})
        _keep_draft(request, f"level1-{audit.pk}", record.pk, error_kind=kind, note=note)
        messages.error(request, _refusal(exc))
        return _back(request)
    text = (_("%(file)s passed.") if passed else _("%(file)s: error registered.")) % {"file": record.log_repr()}
    if _wants_row(request):
        return _level1_answer(request, audit, record, True, text)
    messages.success(request, text)
    return _back(request)


def _numbers(records):
    return format_html_join("、", '<a href="{}">{}</a>',
                            ((reverse("record:inspect", args=[r.pk]), r.log_repr()) for r in records))


@action_view
def level1_pass_clean(request, pk):
    """通过 for every file of the day that matches the report and has no flags, each through the per-file
    step; the message lists what passed and what was left, and why."""
    audit = scoped(request, Level1Audit, pk, "audit.level1")
    passed, skipped = level1.pass_clean(request.user, audit, request)
    if skipped:
        left = format_html_join("；", "{}（{}）", ((_numbers([r]), "；".join(reasons)) for r, reasons in skipped))
        messages.warning(request, format_html('{} <span id="archive-bulk-skipped">{}</span>',
                                              _("Left for you (%(n)d):") % {"n": len(skipped)}, left))
    if not passed:
        messages.info(request, _("No file was passed: none matches the report without flags."))
        return ""
    return format_html('{} <span id="archive-bulk-passed">{}</span>',
                       _("Passed (%(n)d):") % {"n": len(passed)}, _numbers(passed))


@action_view
def level1_sign(request, pk):
    audit = scoped(request, Level1Audit, pk, "audit.level1")
    level1.Sign(request.user, audit, request.POST.get("password"), request.POST.get("notes", ""), request).run()
    return _("The level-1 audit record is signed.")


@action_view
def error_correct(request, pk):
    entry = scoped(request, ErrorEntry, pk, "error.correct")
    errors.CorrectError(request.user, entry, request).run()
    return _("Correction recorded.")


def form_link(form):
    """A handover form named in a message, as a link to its screen."""
    return format_html('<a href="{}" class="archive-form-link">{}</a>', reverse("archive_admin:form", args=[form.pk]),
                       str(form))


def _about_form(text, form):
    """A message `text` with "%(form)s" standing for the form, which becomes a link to it."""
    return mark_safe(conditional_escape(text) % {"form": form_link(form)})  # noqa: S308 (escaped, the link built by format_html)


@action_view
def give_clerk_hall(request, pk):
    audit = scoped(request, Level1Audit, pk, "handover.clerk_hall.give")
    form = handover.GiveClerkHall(request.user, request.POST.get("password"), audit, request).run()
    return _about_form(_("%(form)s signed; waiting for the keeper."), form)


@action_view
def form_receive(request, pk):
    form = scoped(request, HandoverForm, pk, "archive.view")
    form = handover.Receive(request.user, request.POST.get("password"), form, request,
                            counted=request.POST.getlist("counted"), discrepancy=request.POST.get("discrepancy")).run()
    if form.discrepancy:
        return _about_form(_("%(form)s received and signed, with the discrepancy noted."), form)
    return _about_form(_("%(form)s received and signed: every row counted."), form)


@action_view
def form_reject(request, pk):
    form = scoped(request, HandoverForm, pk, "archive.view")
    handover.Reject(request.user, request.POST.get("password"), form, request.POST.get("reason"), request).run()
    return _about_form(_("%(form)s rejected; everything on it went back to the giver."), form)


@action_view
def bind(request):
    ids = [_int(v, "record") for v in request.POST.getlist("records")]
    records = access.visible(request.user, Record.objects.filter(pk__in=ids), "volume.bind")
    if records.count() != len(set(ids)):
        raise Http404
    volumes = Bind(request.user, records, request).run()
    return _("Bound into %(list)s") % {"list": "、".join(v.number for v in volumes)}


@action_view
def close_month(request):
    hall = scoped(request, Hall, request.POST.get("hall"), "volume.close_short")
    closed = CloseMonth(request.user, hall, _int(request.POST.get("year"), "year"),
                        _int(request.POST.get("month"), "month"), request.POST.get("reason", ""),
                        request=request).run()
    return _("Closed short at month close: %(list)s") % {"list": "、".join(v.number for v in closed)}


@action_view
def give_hall_branch(request):
    ids = [_int(v, "volume") for v in request.POST.getlist("volumes")]
    volumes = access.visible(request.user, Volume.objects.filter(pk__in=ids), "handover.hall_branch.give")
    if volumes.count() != len(set(ids)):
        raise Http404
    form = handover.GiveHallBranch(request.user, request.POST.get("password"), volumes, request).run()
    return _about_form(_("%(form)s signed; waiting for the branch."), form)


@action_view
def volume_fix(request, pk):
    volume = scoped(request, Volume, pk, "volume.fix")
    FixReturned(request.user, volume, request.POST.get("note"), request).run()
    return _("Volume %(v)s is ready to be handed over again.") % {"v": volume}


@action_view
def volume_return(request, pk):
    volume = scoped(request, Volume, pk, "volume.return_to_level1")
    ReturnToLevel1(request.user, volume, request.POST.get("reason"), request).run()
    text = _("Volume %(v)s went back to the level-1 auditor.") % {"v": volume}
    return _noted_on(text, HandoverForm.objects.filter(kind=HandoverForm.Kind.CLERK_HALL, has_returns=True,
                                                       records__volume_item__volume=volume).distinct().order_by("pk"))


def _noted_on(text, forms):
    """`text`, then the forms a return was noted on, as links."""
    forms = list(forms)
    if not forms:
        return text
    return format_html("{} {}{}", text, _("Noted on: "), format_html_join("、", "{}", ((form_link(f),) for f in forms)))


@action_view
def level2_start(request, pk):
    volume = scoped(request, Volume, pk, "audit.level2")
    audit = level2.Start(request.user, volume, request).run()
    return _("Sample drawn: %(n)d files (seed %(seed)s).") % {"n": len(audit.sample), "seed": audit.seed}


@action_view
def level2_finding(request, pk):
    audit = scoped(request, Level2Audit, pk, "audit.level2")
    return _finding(request, audit, "audit.level2", level2.Finding, "level2")


def _finding(request, sample, action, step, draft):
    """A pass or an error for one file of a sample (level 2, the quarterly process check): only the 通过
    button itself passes, never with an error written; a refusal keeps what was typed (_keep_draft)."""
    record = scoped(request, Record, request.POST.get("record"), action)
    ok = request.POST.get("ok") == "1"
    kind, note = request.POST.get("error_kind", ""), request.POST.get("note", "")
    try:
        errors.refuse_pass_with_error(ok, kind, note)
        step(request.user, sample, record, ok, note, kind, request).run()
    except ChainError:
        _keep_draft(request, f"{draft}-{sample.pk}", record.pk, error_kind=kind, note=note)
        raise
    return _("Finding recorded.")


@action_view
def level2_finish(request, pk):
    audit = scoped(request, Level2Audit, pk, "audit.level2")
    done = level2.Finish(request.user, audit, request.POST.get("password"), request.POST.get("reason"), request).run()
    text = _("Level-2 audit signed: %(result)s.") % {"result": done.get_result_display()}
    if done.result != Level2Audit.Result.FAILED:
        return text
    noted = (HandoverForm.objects.filter(kind=HandoverForm.Kind.HALL_BRANCH, volumes=done.volume_id, has_returns=True,
                                         status=HandoverForm.Status.ACCEPTED).order_by("-created_at", "-id")[:1])
    return _noted_on(text, noted)  # the form Finish wrote the return on


@action_view
def give_branch_marketing(request):
    branch = scoped(request, Branch, request.POST.get("branch"), "handover.branch_marketing.give")
    form = handover.GiveBranchMarketing(request.user, request.POST.get("password"), branch,
                                        _int(request.POST.get("year"), "year"),
                                        _int(request.POST.get("month"), "month"), request).run()
    return _about_form(_("%(form)s signed; waiting for marketing."), form)


@action_view
def marketing_check(request, pk):
    form = scoped(request, HandoverForm, pk, "marketing.check")
    check = monthly.MonthlyCheck(request.user, form, request).run()
    return _("Check done: %(n)d differences.") % {"n": len(check.differences)}


@require_POST
def process_check(request):
    """Draw the quarter's agreement sample; then its own screen, to record a result for each agreement."""
    branch = scoped(request, Branch, request.POST.get("branch"), "marketing.check")
    try:
        check = monthly.ProcessCheck(request.user, branch, _int(request.POST.get("year"), "year"),
                                     _int(request.POST.get("quarter"), "quarter"), request).run()
    except ChainError as exc:
        messages.error(request, _refusal(exc))
        return _back(request)
    messages.success(request, _("Process check: %(n)d agreements sampled (seed %(seed)s).")
                     % {"n": len(check.sample), "seed": check.seed})
    return redirect("archive_admin:process_check_view", pk=check.pk)


@action_view
def process_finding(request, pk):
    check = scoped(request, MarketingCheck, pk, "marketing.check")
    return _finding(request, check, "marketing.check", monthly.ProcessFinding, "process")


# --- PDFs ------------------------------------------------------------------------------------------

def form_pdf(request, pk):
    form = scoped(request, HandoverForm, pk, "archive.view")
    return _pdf(printing.handover_form_pdf(form), f"handover-{form.pk}.pdf")


def volume_pdf(request, pk):
    volume = scoped(request, Volume, pk, "archive.view")
    spool = tempfile.TemporaryFile(dir=tmp_dir())  # a volume can be large: on disk, never whole in memory
    try:
        printing.write_volume_pdf(volume, spool)
    except ChainError as exc:
        spool.close()
        messages.error(request, str(exc))
        return redirect("archive_admin:volume", pk=volume.pk)
    records = list(volume.items.order_by("position").values_list("record_id", flat=True))
    auditlog.record(events.VOLUME_DOWNLOAD, actor=request.user, obj=volume, request=request,  # the scans show ID numbers
                    details={"file": "volume_pdf", "records": records})
    spool.seek(0)
    return FileResponse(spool, content_type="application/pdf", as_attachment=False, filename=f"{volume.number}.pdf")


def cover_pdf(request, pk):
    volume = scoped(request, Volume, pk, "archive.view")
    return _pdf(printing.volume_cover_pdf(volume), f"{volume.number}-cover.pdf")


def level1_pdf(request, pk):
    audit = scoped(request, Level1Audit, pk, "archive.view")
    return _pdf(printing.level1_record_pdf([audit]), f"level1-{audit.hall.code}-{audit.day}.pdf")


def level2_pdf(request, pk):
    volume = scoped(request, Volume, pk, "archive.view")
    return _pdf(printing.level2_record_pdf(volume), f"{volume.number}-level2.pdf")
