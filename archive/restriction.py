"""Customers' deletion requests (PIPL art. 47). A request by ID number is recorded; while a file's period
still runs it cannot be deleted, so the customer's files are restricted instead: hidden from ordinary
search and view for everyone (a restriction registered with org.access for the viewing actions, and the
search index leaves them out), and opened only by the archivist, with a reason that goes to the event log.
They stay on the retention clock and enter the due list on their date (retention.due_files asks
`retention.view`, which the restriction does not narrow)."""
from django.core import signing
from django.db.models import Q
from django.utils.translation import gettext as _

from org import access
from org.pii import lookup_hash, mask, normalise_id
from records.models import Record
from search import outbox

from . import events
from .base import ChainError, Transition
from .models import DeletionRequest

EVENT_REQUESTED = events.RETENTION_DELETION_REQUEST
EVENT_OPENED = events.RETENTION_RESTRICTED_OPEN
EVENT_DOWNLOAD = events.RETENTION_RESTRICTED_DOWNLOAD
PASS_SALT, PASS_SECONDS = "archive.restricted-open", 15 * 60
HIDDEN_FROM = ("record.view", "record.export", "pii.view_full", "record.correct", "record.retry")


def restricted_q(prefix=""):
    """Files of a customer with a deletion request (by the ID number's hash)."""
    return ~Q(**{f"{prefix}id_number_hash__in": DeletionRequest.objects.values("id_number_hash")}) | Q(
        **{f"{prefix}id_number_hash": ""})


def register():
    access.restrict(HIDDEN_FROM, restricted_q)


def is_restricted(record):
    return bool(record.id_number_hash) and DeletionRequest.objects.filter(id_number_hash=record.id_number_hash).exists()


class Request(Transition):
    """Record a customer's deletion request; the customer's files leave the search index."""

    action = "retention.request"

    def __init__(self, actor, id_number, reason="", request=None):
        super().__init__(actor, request)
        self.id_number, self.reason = normalise_id(id_number or ""), (reason or "").strip()

    def scope_object(self):
        return None  # every hall: a whole-city grant

    def check(self):
        if not self.id_number:
            raise ChainError(_("Give the customer's ID number."))
        super().check()

    def execute(self):
        found = DeletionRequest.objects.create(id_number=self.id_number, reason=self.reason[:300],
                                               recorded_by=self.actor)
        files = list(Record.objects.filter(id_number_hash=lookup_hash(self.id_number)).values_list("pk", flat=True))
        for pk in files:
            outbox.enqueue("record", pk, delete=True)
        self.log(EVENT_REQUESTED, found, customer=mask(self.id_number), files=len(files), reason=found.reason)
        return found


class Open(Transition):
    """The archivist opens a restricted file: the reason is required and logged."""

    action = "retention.restricted_open"

    def __init__(self, actor, record, reason, request=None):
        super().__init__(actor, request)
        self.record, self.reason = record, (reason or "").strip()

    def scope_object(self):
        return self.record

    def check(self):
        if not self.reason:
            raise ChainError(_("Give the reason for opening a restricted file; it is written to the event log."))
        super().check()

    def execute(self):
        event = self.log(EVENT_OPENED, self.record, reason=self.reason[:300], restricted=is_restricted(self.record))
        self.pass_ = signing.dumps({"record": self.record.pk, "user": self.actor.pk, "opened": event.seq},
                                   salt=PASS_SALT)
        return self.record


def check_pass(token, user, record):
    """The scans of a restricted file are fetched with the pass its opening gave (signed, for this user and
    this file, PASS_SECONDS long): the event-log row with the reason is the pass's `opened` sequence
    number. Returns that number, or raises ChainError."""
    try:
        found = signing.loads(token or "", salt=PASS_SALT, max_age=PASS_SECONDS)
    except signing.SignatureExpired:
        raise ChainError(_("The file was opened too long ago: open it again with a reason.")) from None
    except signing.BadSignature:
        raise ChainError(_("Open the file with a reason first; the scans are shown from there.")) from None
    if found.get("record") != record.pk or found.get("user") != user.pk:
        raise ChainError(_("Open the file with a reason first; the scans are shown from there."))
    return found["opened"]
