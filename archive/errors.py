"""The error register (业务差错登记): every error found at any level, its responsible clerk, its correction."""
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import events
from .base import ChainError, Transition, log
from .models import ErrorEntry


# A file marked 通过 while an error is written beside it: refused (the error would be lost, issue 16 trap 1).
PASS_WITH_ERROR = gettext_lazy(
    "An error is written in the fields (kind or description): press Error to register it, or clear the fields "
    "to pass the file. Nothing was saved; what you typed is still there.")


def refuse_pass_with_error(passed, *written):
    """A pass with an error kind (or, on the screens, a description) filled in is refused."""
    if passed and any((w or "").strip() for w in written):
        raise ChainError(str(PASS_WITH_ERROR))


def register(found_by, record, kind, level, description="", request=None):
    if not (kind or "").strip():
        raise ChainError(_("Name the kind of error (e.g. missing signature, wrong ID copy)."))
    entry = ErrorEntry.objects.create(record=record, kind=kind.strip()[:60], description=description[:300],
                                      clerk=record.clerk, level=level, found_by=found_by)
    log(events.ERROR_REGISTER, found_by, entry.record, request, error=entry.pk, kind=entry.kind, level=level,
        clerk=record.clerk.username)
    return entry


class CorrectError(Transition):
    action = "error.correct"

    def __init__(self, actor, entry, request=None):
        super().__init__(actor, request)
        self.entry = entry

    def scope_object(self):
        return self.entry.record

    def check(self):
        super().check()
        self.entry = ErrorEntry.objects.select_for_update().get(pk=self.entry.pk)
        if self.entry.corrected_at:
            raise ChainError(_("This error was already corrected on %(when)s by %(who)s.")
                             % {"when": date_format(timezone.localtime(self.entry.corrected_at), "DATETIME_FORMAT"),
                                "who": self.entry.corrected_by})

    def execute(self):
        self.entry.corrected_at, self.entry.corrected_by = timezone.now(), self.actor
        self.entry.save(update_fields=["corrected_at", "corrected_by"])
        self.log(events.ERROR_CORRECT, self.entry.record, error=self.entry.pk, kind=self.entry.kind)
        return self.entry


def open_errors(record):
    return record.errors.filter(corrected_at__isnull=True)


def open_entries():
    """Every uncorrected error of any level (level 1, level 2, marketing, archive re-check)."""
    return ErrorEntry.objects.filter(corrected_at__isnull=True)


def records_with_open_errors(record_ids):
    """The ids among `record_ids` of files with an uncorrected error (the search index's 有差错)."""
    return set(open_entries().filter(record_id__in=list(record_ids)).values_list("record_id", flat=True))
