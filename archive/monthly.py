"""Branch→marketing, monthly (the form itself: handover.GiveBranchMarketing), the marketing group's check of
paper vs electronic detail vs the form's figures, and the quarterly process check (≥10% of agreements)."""
import datetime
from collections import Counter

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from org import access

from org.models import Hall
from records.models import Category, Record, ReportRow

from . import errors, events, sampling
from .base import ChainError, Transition
from .models import ErrorEntry, HandoverForm, MarketingCheck, Volume


def _month_bounds(year, month):
    start = datetime.date(year, month, 1)
    end = datetime.date(year + (month == 12), month % 12 + 1, 1)
    return start, end


def electronic_detail(branch, year, month):
    """The imported report rows of the branch's halls in that month, one per transaction number (latest)."""
    start, end = _month_bounds(year, month)
    codes = list(Hall.objects.filter(branch=branch).values_list("code", flat=True))
    tz = timezone.get_current_timezone()
    rows = ReportRow.objects.filter(
        hall_code__in=codes,
        accepted_at__gte=datetime.datetime.combine(start, datetime.time(), tz),
        accepted_at__lt=datetime.datetime.combine(end, datetime.time(), tz)).order_by("report_id", "line")
    return {row.transaction_no: row for row in rows}


def differences(form):
    """Every difference between the paper in the form's volumes, the electronic detail and the form."""
    paper = {r.transaction_no: r for r in Record.objects.filter(volume_item__volume__in=form.volumes.all())
             .select_related("hall")}
    detail = electronic_detail(form.branch, form.year, form.month)
    found = []
    for no in sorted(set(detail) - set(paper)):
        found.append({"kind": "paper_missing", "transaction_no": no, "hall": detail[no].hall_code})
    for no in sorted(set(paper) - set(detail)):
        found.append({"kind": "no_electronic_row", "transaction_no": no, "hall": paper[no].hall.code})
    for no in sorted(set(paper) & set(detail)):
        record, row = paper[no], detail[no]
        fields = [{"field": name, "paper": on_paper, "detail": in_detail} for name, on_paper, in_detail in (
            ("营业厅编码", record.hall.code, row.hall_code), ("业务类型", record.business_type, row.business_type))
            if on_paper != in_detail]
        if fields:
            found.append({"kind": "detail_mismatch", "transaction_no": no, "hall": record.hall.code,
                          "fields": fields})
    counts = Counter((r.hall.code, r.category) for r in paper.values())
    for hall_code, figures in sorted(form.figures.get("by_hall", {}).items()):
        for category, on_form in sorted(figures.items()):
            if counts.get((hall_code, category), 0) != on_form:
                found.append({"kind": "figure_mismatch", "hall": hall_code, "category": category,
                              "form": on_form, "paper": counts.get((hall_code, category), 0)})
    agreements = sum(1 for r in paper.values() if r.category == Category.AGREEMENT)
    if agreements != form.figures.get("agreements"):
        found.append({"kind": "figure_mismatch", "hall": None, "category": Category.AGREEMENT,
                      "form": form.figures.get("agreements"), "paper": agreements})
    return found


class MonthlyCheck(Transition):
    action = "marketing.check"

    def __init__(self, actor, form, request=None):
        super().__init__(actor, request)
        self.form = form

    def scope_object(self):
        return self.form

    def check(self):
        super().check()
        self.form = HandoverForm.objects.get(pk=self.form.pk)
        if self.form.kind != HandoverForm.Kind.BRANCH_MARKETING or self.form.status != HandoverForm.Status.ACCEPTED:
            raise ChainError(_("Check a monthly branch→marketing form after receiving it."))

    def execute(self):
        found = differences(self.form)
        check = MarketingCheck.objects.create(kind=MarketingCheck.Kind.MONTHLY, branch=self.form.branch,
                                              form=self.form, year=self.form.year, period=self.form.month,
                                              checker=self.actor, differences=found)
        self.log(events.MARKETING_CHECK, self.form, check=check.pk, differences=len(found))
        return check


class ProcessCheck(Transition):
    """Quarterly: a seeded sample of at least 10% of the branch's agreements of that quarter."""

    action = "marketing.check"

    def __init__(self, actor, branch, year, quarter, request=None):
        super().__init__(actor, request)
        self.branch, self.year, self.quarter = branch, year, quarter

    def scope_object(self):
        return self.branch

    def check(self):
        super().check()
        if self.quarter not in (1, 2, 3, 4):
            raise ChainError(_("A quarter is 1 to 4."))
        months = range(3 * self.quarter - 2, 3 * self.quarter + 1)
        volumes = Volume.objects.filter(hall__branch=self.branch, year=self.year, month__in=months,
                                        category=Category.AGREEMENT)
        self.ids = list(Record.objects.filter(volume_item__volume__in=volumes).values_list("pk", flat=True))
        if not self.ids:
            raise ChainError(_("The branch has no bound agreements in this quarter."))

    def execute(self):
        seed = sampling.new_seed()
        sample = sampling.draw(self.ids, sampling.at_least(sampling.PROCESS_AGREEMENTS, len(self.ids)), seed)
        check = MarketingCheck.objects.create(kind=MarketingCheck.Kind.PROCESS, branch=self.branch, year=self.year,
                                              period=self.quarter, checker=self.actor, seed=seed, sample=sample)
        self.log(events.MARKETING_PROCESS_CHECK, self.branch, check=check.pk, seed=seed, size=len(sample),
                 of=len(self.ids), sample=sample)
        return check


class ProcessFinding(Transition):
    """The result for one agreement drawn by a process check: passed, or an error (registered, found at the
    marketing check). A later finding for the same agreement replaces the earlier one; both are logged."""

    action = "marketing.check"

    def __init__(self, actor, check, record, ok, note="", error_kind="", request=None):
        super().__init__(actor, request)
        self.check_, self.record, self.ok = check, record, ok
        self.note, self.error_kind = (note or "").strip(), (error_kind or "").strip()

    def scope_object(self):
        return self.check_

    def check(self):
        super().check()
        self.check_ = MarketingCheck.objects.select_for_update().get(pk=self.check_.pk)
        if self.check_.kind != MarketingCheck.Kind.PROCESS:
            raise ChainError(_("Only a quarterly process check records a result per agreement."))
        if self.record.pk not in self.check_.sample:
            raise ChainError(_("File %(r)s is not in the sample of this check.") % {"r": self.record})
        errors.refuse_pass_with_error(self.ok, self.error_kind)
        if not self.ok and not self.error_kind:
            raise ChainError(_("Name the kind of error (e.g. missing signature, wrong ID copy)."))

    def execute(self):
        self.check_.findings = {**self.check_.findings, str(self.record.pk): {
            "ok": self.ok, "kind": "" if self.ok else self.error_kind[:60], "note": self.note[:300],
            "by": self.actor.username, "at": timezone.now().isoformat()}}
        self.check_.save(update_fields=["findings"])
        if not self.ok:
            errors.register(self.actor, self.record, self.error_kind, ErrorEntry.Level.MARKETING, self.note,
                            self.request)
        self.log(events.MARKETING_PROCESS_FINDING, self.record, check=self.check_.pk, ok=self.ok,
                 kind=self.error_kind if not self.ok else "", note=self.note)
        return self.check_


def _category_label(value):
    return str(Category(value).label) if value in Category.values else (value or "")


def describe(found, user, form=None):
    """The differences of a monthly check in words, each with links: the file's record page (files the user
    may open), else its volume, else the hall's volumes on the form. [{"text", "links": [(label, url)]}]"""
    numbers = {d["transaction_no"] for d in found if d.get("transaction_no")}
    records = {r.transaction_no: r for r in access.visible(user, Record.objects.filter(transaction_no__in=numbers))
               .select_related("volume_item__volume")}
    volumes = {}
    if form is not None:
        for volume in form.volumes.select_related("hall").order_by("number"):
            volumes.setdefault(volume.hall.code, []).append(volume)
    described = []
    for d in found:
        kind, no, hall = d.get("kind"), d.get("transaction_no"), d.get("hall")
        links = []
        record = records.get(no)
        if record is not None:
            links.append((no, reverse("record:inspect", args=[record.pk])))
            item = getattr(record, "volume_item", None)
            if item is not None:
                links.append((item.volume.number, reverse("archive_admin:volume", args=[item.volume_id])))
        if kind == "paper_missing":
            text = _("Paper file missing: %(no)s (hall %(hall)s) is in the electronic detail but in none of the "
                     "volumes handed over.") % {"no": no, "hall": hall}
        elif kind == "no_electronic_row":
            text = _("Not in the electronic detail: the paper file %(no)s (hall %(hall)s) has no row in the "
                     "billing system's detail for the month.") % {"no": no, "hall": hall}
        elif kind == "detail_mismatch":
            fields = d.get("fields") or []
            said = "；".join(_("%(field)s: on paper %(paper)s, in the detail %(detail)s")
                            % {"field": f["field"], "paper": f["paper"] or "—", "detail": f["detail"] or "—"}
                            for f in fields)
            text = (_("The paper file %(no)s (hall %(hall)s) differs from the electronic detail")
                    % {"no": no, "hall": hall}) + (f"：{said}" if said else "")
        elif kind == "figure_mismatch":
            values = {"category": _category_label(d.get("category")), "form": d.get("form"),
                      "paper": d.get("paper"), "hall": hall}
            if hall:
                text = _("Hall %(hall)s, %(category)s: the form says %(form)s files, the volumes hold "
                         "%(paper)s.") % values
            else:
                text = _("Agreements of the branch: the form says %(form)s, the volumes hold %(paper)s.") % values
            for volume in volumes.get(hall, []) if hall else [v for vs in volumes.values() for v in vs
                                                               if v.category == Category.AGREEMENT]:
                links.append((volume.number, reverse("archive_admin:volume", args=[volume.pk])))
        else:
            text = str(d)
        described.append({"text": text, "links": links})
    return described
