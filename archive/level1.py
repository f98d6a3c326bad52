"""Level-1 audit (一级稽核): 100% of a hall's day against the clerk operation report; every file marked passed
or in error (errors go to the register and are corrected); the level-1 audit record is then signed.

The screen only reads: the record of a day is made (and its report chosen) by `open_audit`, on a POST.
`pass_clean` passes in one action the files that match the report and have no flags: each through `Mark`
(one transaction and one event-log row per file), re-checked under its row lock; every other file is
listed with the reason it was left for a person."""
import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from org import states
from records import reconcile
from records.models import OperatorReport, Record, ReportRow

from . import errors, events, signatures
from .base import ChainError, Transition, log, require
from .models import AuditMark, ErrorEntry, Level1Audit

S = Record.Status
AUDITABLE = Record.moves["pass_level1"].sources  # sorted, l1_passed, l1_error


@transaction.atomic
def open_audit(auditor, hall, day, report=None, request=None):
    """The level-1 audit record of `hall`'s `day`, made on first use; `report` (one with rows of this hall)
    becomes the report it is checked against until it is signed. Making or changing it is logged."""
    require(auditor, "audit.level1", hall)
    if report is not None and not reports_of(hall).filter(pk=report.pk).exists():
        raise ChainError(_("The report %(report)s has no rows of hall %(hall)s.") % {"report": report,
                                                                                     "hall": hall.code})
    audit, created = Level1Audit.objects.get_or_create(hall=hall, day=day, defaults={"auditor": auditor,
                                                                                      "report": report})
    changed = report is not None and audit.report_id != report.pk and not audit.signed_at
    if changed:
        audit.report = report
        audit.save(update_fields=["report"])
    if created or changed:
        log(events.LEVEL1_OPEN, auditor, audit, request, created=created, report=report.pk if report else None)
    return audit


def existing_audit(hall, day):
    """The level-1 audit record of the day if it has been opened, else an unsaved one (for reading)."""
    return Level1Audit.objects.filter(hall=hall, day=day).first() or Level1Audit(hall=hall, day=day)


def reports_of(hall):
    """The imported reports with rows of `hall`: the only ones its level-1 screen offers or shows."""
    return OperatorReport.objects.filter(pk__in=ReportRow.objects.filter(hall_code=hall.code).values("report"))


def day_records(audit):
    return Record.objects.filter(hall=audit.hall, business_date=audit.day)


def day_rows(audit, report=None):
    """The report rows of the audit's hall and day, of `report` (else the audit's own report, else every
    imported report)."""
    start = datetime.datetime.combine(audit.day, datetime.time(), timezone.get_current_timezone())
    rows = ReportRow.objects.filter(hall_code=audit.hall.code, accepted_at__gte=start,
                                    accepted_at__lt=start + datetime.timedelta(days=1))
    report_id = report.pk if report is not None else audit.report_id
    if report_id:
        rows = rows.filter(report_id=report_id)
    return [r for r in rows.order_by("report_id", "line") if timezone.localtime(r.accepted_at).date() == audit.day]


def reconciliation(audit, report=None):
    """The day's files beside the rows of that hall and day of `report` (else the audit's own report, else
    every imported report)."""
    return reconcile.reconcile(day_rows(audit, report), day_records(audit).filter(status__in=AUDITABLE))


def row_checks(result):
    """{record id: what the comparison with the report says against the file ("" when it matches)}."""
    checks = {record.pk: "" for record in result.matched}
    for record, _row, fields in result.mismatches:
        checks[record.pk] = _("Differs from the report: %(fields)s") % {"fields": "、".join(fields)}
    for record in result.no_report_row:
        checks[record.pk] = _("Not in the report")
    return checks


def progress(audit):
    """The day's files counted: passed (or gone on to the keeper), in error, not yet checked."""
    counts = {"total": 0, "passed": 0, "errors": 0}
    for status in day_records(audit).values_list("status", flat=True):
        counts["total"] += 1
        if status in (S.L1_PASSED, S.AT_HALL, S.BOUND):
            counts["passed"] += 1
        elif status == S.L1_ERROR:
            counts["errors"] += 1
    counts["todo"] = counts["total"] - counts["passed"] - counts["errors"]
    counts["percent"] = round(100 * counts["passed"] / counts["total"]) if counts["total"] else 0
    return counts


def not_in_bulk(record, check, open_error_ids):
    """Why `record` is left out of the bulk pass (a list of reasons; empty: it may be passed in bulk)."""
    reasons = []
    if record.flagged_fields:
        reasons.append(_("Fields to check: %(fields)s") % {"fields": record.flagged_summary})
    if check is None:
        reasons.append(_("Not sorted at the daily close"))
    elif check:
        reasons.append(check)
    if record.pk in open_error_ids:
        reasons.append(_("An uncorrected error"))
    elif record.status == S.L1_ERROR:
        reasons.append(_("Marked as an error: pass it on its own once corrected"))
    return reasons


def bulk_candidates(audit):
    """(file, reasons) for every file of the day not yet passed, reasons empty when it may pass in bulk."""
    checks = row_checks(reconciliation(audit))
    records = list(day_records(audit).exclude(status__in=(S.L1_PASSED, S.AT_HALL, S.BOUND))
                   .select_related("hall", "clerk").order_by("transaction_no", "pk"))
    open_ids = errors.records_with_open_errors(r.pk for r in records)
    return [(record, not_in_bulk(record, checks.get(record.pk), open_ids)) for record in records]


def pass_clean(actor, audit, request=None):
    """Pass every file of the day that matches the report and has no flags: (passed, [(file, reasons)])."""
    require(actor, "audit.level1", audit.hall)
    if audit.signed_at:
        raise ChainError(_("The level-1 audit record of this day is already signed."))
    if not audit.pk:
        raise ChainError(_("Open the level-1 audit of this day first."))
    rows = {row.transaction_no: row for row in day_rows(audit)}
    passed, skipped = [], []
    for record, reasons in bulk_candidates(audit):
        if reasons:
            skipped.append((record, reasons))
            continue
        try:
            CleanPass(actor, audit, record, rows.get(record.transaction_no), request=request).run()
        except ChainError as exc:  # changed meanwhile: the step, under its row lock, says why
            skipped.append((record, [str(exc)]))
        else:
            passed.append(record)
    return passed, skipped


class Mark(Transition):
    action = "audit.level1"

    def __init__(self, actor, audit, record, passed, note="", error_kind="", request=None):
        super().__init__(actor, request)
        self.audit, self.record, self.passed = audit, record, passed
        self.note, self.error_kind = note or "", error_kind or ""

    def scope_object(self):
        return self.record

    def check(self):
        super().check()
        self.record = Record.objects.select_for_update().get(pk=self.record.pk)
        if self.audit.signed_at:
            raise ChainError(_("The level-1 audit record of this day is already signed."))
        if self.record.hall_id != self.audit.hall_id or self.record.business_date != self.audit.day:
            raise ChainError(_("This file does not belong to the audited hall and day."))
        if self.record.status not in AUDITABLE:
            raise ChainError(_("File %(r)s is %(s)s: sort it at the daily close first.")
                             % {"r": self.record, "s": self.record.get_status_display()})
        errors.refuse_pass_with_error(self.passed, self.error_kind)
        if self.passed and errors.open_errors(self.record).exists():
            raise ChainError(_("File %(r)s has uncorrected errors; correct them before passing it.")
                             % {"r": self.record})
        if not self.passed and not self.error_kind.strip():
            raise ChainError(_("Name the kind of error (e.g. missing signature, wrong ID copy)."))

    def execute(self):
        result = AuditMark.Result.PASSED if self.passed else AuditMark.Result.ERROR
        AuditMark.objects.update_or_create(audit=self.audit, record=self.record,
                                           defaults={"result": result, "note": self.note[:200]})
        if not self.passed:
            errors.register(self.actor, self.record, self.error_kind, ErrorEntry.Level.L1, self.note, self.request)
        # the auditor has the paper on the desk
        states.move(self.record, "pass_level1" if self.passed else "fail_level1", self.actor, request=self.request,
                    details={"audit": self.audit.pk, "result": result, "note": self.note, **self.details()},
                    holder=self.actor)
        return self.record

    def details(self):
        return {}


class CleanPass(Mark):
    """The bulk pass of one file: `Mark` passing it, refused unless, under the row lock, the file still has
    no flagged field and agrees with its report row."""

    def __init__(self, actor, audit, record, row, request=None):
        super().__init__(actor, audit, record, True, request=request)
        self.row = row

    def check(self):
        super().check()
        record = self.record
        if record.flagged_fields:
            raise ChainError(_("Fields to check: %(fields)s") % {"fields": record.flagged_summary})
        if self.row is None:
            raise ChainError(_("Not in the report"))
        found = reconcile.differences(record, self.row)
        if found:
            raise ChainError(_("Differs from the report: %(fields)s") % {"fields": "、".join(found)})

    def details(self):
        return {"bulk": True, "report_row": self.row.pk}


class Sign(Transition):
    action = "audit.level1"
    signing = True

    def __init__(self, actor, audit, password, notes="", request=None):
        super().__init__(actor, request)
        self.audit, self.password, self.notes = audit, password, notes

    def scope_object(self):
        return self.audit

    def check(self):
        super().check()
        self.audit = Level1Audit.objects.select_for_update().get(pk=self.audit.pk)
        if self.audit.signed_at:
            raise ChainError(_("The level-1 audit record of this day is already signed."))
        pending = day_records(self.audit).exclude(status__in=(S.L1_PASSED, S.AT_HALL, S.BOUND))
        if pending.exists():
            raise ChainError(_("Every file of the day must pass first (100%%); not yet: %(list)s")
                             % {"list": ", ".join(str(r) for r in pending[:10])})

    def execute(self):
        if self.notes:
            self.audit.notes = self.notes
        self.audit.auditor = self.actor
        self.audit.save(update_fields=["notes", "auditor"])
        signature = signatures.sign(self.actor, self.audit, "auditor", self.request)
        self.audit.signed_at = signature.signed_at
        self.audit.save(update_fields=["signed_at"])
        return self.audit
