"""Branch→marketing, monthly (the form itself: handover.GiveBranchMarketing), the marketing group's check of
paper vs electronic detail vs the form's figures, and the quarterly process check (≥10% of agreements)."""
import datetime
from collections import Counter

from django.utils import timezone
from django.utils.translation import gettext as _

from org.models import Hall
from records.models import Category, Record, ReportRow

from . import events, sampling
from .base import ChainError, Transition
from .models import HandoverForm, MarketingCheck, Volume


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
        if record.hall.code != row.hall_code or record.business_type != row.business_type:
            found.append({"kind": "detail_mismatch", "transaction_no": no, "hall": record.hall.code})
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
