"""Daily close (DOMAIN.md chain step 1): the clerk sorts the day's files into the three categories."""
from django.utils.translation import gettext as _

from org import states
from records.models import Category, Record

from .base import ChainError, Transition

S = Record.Status


class CategoryMissing(ChainError):
    """The day cannot be closed: these files have no category yet. The screen lists them as links to their
    record pages, where the business type or the category is corrected (records.transitions)."""

    def __init__(self, records):
        self.records = records
        super().__init__(_("Give these files a category first: %(list)s")
                         % {"list": ", ".join(str(r) for r in records[:10])})


def day_records(hall, day, clerk=None):
    qs = Record.objects.filter(hall=hall, business_date=day)
    return qs.filter(clerk=clerk) if clerk is not None else qs


class DailyClose(Transition):
    """The clerk's files of one day, OCR done, move to "sorted"; the result counts them per category."""

    action = "dailyclose.run"

    def __init__(self, actor, hall, day, request=None):
        super().__init__(actor, request)
        self.hall, self.day = hall, day

    def scope_object(self):
        return self.hall

    def check(self):
        super().check()
        records = list(day_records(self.hall, self.day, self.actor).select_for_update().order_by("pk"))
        self.records = [r for r in records if Record.moves.allows("sort", r.status)]
        waiting = [r for r in records if r.status in (S.RECEIVED, S.OCR_QUEUED, S.OCR_RUNNING, S.OCR_FAILED)]
        if waiting:
            raise ChainError(_("%(n)d files of this day are not through OCR yet: %(list)s")
                             % {"n": len(waiting), "list": ", ".join(str(r) for r in waiting[:10])})
        no_category = [r for r in self.records if r.category not in Category.values]
        if no_category:
            raise CategoryMissing(no_category)
        if not self.records:
            raise ChainError(_("No files of this day are waiting to be sorted."))

    def execute(self):
        counts = {c: 0 for c in Category.values}
        for record in self.records:
            counts[record.category] += 1
        ids = [r.pk for r in self.records]
        states.move(Record.objects.filter(pk__in=ids), "sort", self.actor, request=self.request, log_on=self.hall,
                    details={"day": self.day, "clerk": self.actor.username, "counts": counts, "records": ids},
                    holder=self.actor)
        return counts
