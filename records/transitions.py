"""The customer file's steps of its own (receipt, OCR, key fields). Each state change is a declared move of
the record's state table, made by org.states.move: it locks the row, refuses a move from the wrong state,
checks permission (org.access) where a person acts, and writes the event log in the same transaction.

The table (records/models.py, with the audit and handover chain's moves added by archive/models.py), as
`python manage.py state_tables records.Record` prints it (tests/org/test_state_tables.py keeps this copy true):

    records.Record (客户资料): status
    queue_ocr: received → ocr_queued
        by record.create; logs record.ocr_queue
    retry_ocr: ocr_done | ocr_failed → ocr_queued
        by record.retry; logs record.ocr_retry
    start_ocr: ocr_queued | ocr_running → ocr_running
        by the system; logs record.ocr_start — a worker claims it (a running one once its lease ran out)
    finish_ocr: ocr_running → ocr_done
        by the system; logs record.ocr_done
    fail_ocr: ocr_queued | ocr_running → ocr_failed
        by the system; logs record.ocr_failed
    requeue_ocr: ocr_running → ocr_queued
        by the system; logs record.ocr_requeue — a transient fault, or its lease ran out (lease.py)
    sort: ocr_done → sorted
        by dailyclose.run; logs dailyclose — archive/dailyclose.py
    pass_level1: sorted | l1_passed | l1_error → l1_passed
        by audit.level1; logs level1.mark — archive/level1.py; an error passes once corrected
    fail_level1: sorted | l1_passed | l1_error → l1_error
        by audit.level1; logs level1.mark
    receive_at_hall: l1_passed → at_hall
        carried, by handover.clerk_hall.receive; logs handover.receive — the keeper signs the clerk→hall form
    bind: at_hall → bound
        by volume.bind; logs volume.bind — archive/binding.py; then it moves with its volume
    destroy: received | ocr_queued | ocr_running | ocr_done | ocr_failed | sorted | l1_passed | l1_error | at_hall | bound → destroyed
        by destruction.execute; logs destruction.file — archive/destruction.py: the act of an approved, witnessed destruction list; the stub stays

From `bound` on, the file moves with its volume (archive.models.Volume's table).
"""
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from org import access, auditlog, states
from org.pii import mask, mask_name, mask_phone

from . import events, keyfields
from .models import BusinessType, Category, Record

S = Record.Status
TransitionError = states.Refused  # a step not possible now (a refused move or bad input); says why


def _require(actor, action, obj):
    if not access.can(actor, action, obj):
        raise PermissionDenied(_("You may not do this to customer file #%(id)s") % {"id": getattr(obj, "pk", "")})


@transaction.atomic
def receive(actor, *, hall, clerk, channel, category="", business_date, page_count, source, request=None):
    _require(actor, "record.create", hall)
    record = Record.objects.create(hall=hall, clerk=clerk, channel=channel, category=category or "",
                                   business_date=business_date, page_count=page_count)  # received
    auditlog.record(events.RECORD_RECEIVE, actor=actor, obj=record, request=request,
                    details={"hall": hall.code, "clerk": clerk.username, "channel": channel, **source})
    return record


@transaction.atomic
def create_record(actor, *, hall, request=None, **fields):
    """A record entered by hand (no scan)."""
    _require(actor, "record.create", hall)
    record = Record(hall=hall, channel=Record.Channel.MANUAL, **fields)
    record.full_clean()
    record.save()
    auditlog.record(events.RECORD_CREATE, actor=actor, obj=record, request=request,
                    details={"hall": hall.code, "transaction_no": record.transaction_no, "status": record.status})
    return record


def queue_ocr(actor, record, request=None):
    from .tasks import ocr_record

    locked = states.move(record, "queue_ocr", actor, request=request)
    transaction.on_commit(lambda: ocr_record.enqueue(locked.pk))
    return locked


def retry_ocr(actor, record, request=None):
    """From the screen, the API or the shell: run OCR again on a failed (or finished) file."""
    from .tasks import ocr_record

    _require(actor, "record.retry", record)
    locked = states.move(record, "retry_ocr", actor, request=request, ocr_error="")
    transaction.on_commit(lambda: ocr_record.enqueue(locked.pk))
    return locked


class LeaseHeld(TransitionError):
    """Another worker holds the file (its lease is current, or it took the file over)."""


def _lease_free(expired_before):
    def guard(locked):
        if locked.status == S.OCR_RUNNING and locked.ocr_heartbeat and locked.ocr_heartbeat >= expired_before:
            raise LeaseHeld(f"#{locked.pk} is held by a running worker")
    return guard


def _holder(attempt):
    def guard(locked):
        if attempt is not None and locked.ocr_attempts != attempt:
            raise LeaseHeld(f"#{locked.pk} was taken over (attempt {locked.ocr_attempts}, not {attempt})")
    return guard


def start_ocr(record, expired_before=None):
    """Claim the file: a queued one, or a running one whose worker's lease ran out before `expired_before`.
    The attempt number it gets is the worker's lease token (records/ocr.py)."""
    locked = Record.objects.only("ocr_attempts").get(pk=record.pk)
    return states.move(record, "start_ocr", details={"attempt": locked.ocr_attempts + 1},
                       guard=_lease_free(expired_before or timezone.now()),
                       ocr_attempts=locked.ocr_attempts + 1, ocr_heartbeat=timezone.now())


def finish_ocr(record, details, attempt=None):
    return states.move(record, "finish_ocr", details=details, ocr_error="", guard=_holder(attempt))


def fail_ocr(record, reason, attempt=None):
    return states.move(record, "fail_ocr", details={"reason": reason}, ocr_error=reason, guard=_holder(attempt))


def requeue_ocr(record, reason, attempt=None, expired_before=None):
    """Running → queued without a person: the worker met a transient fault (`attempt`: only while it still
    holds the file), or its lease ran out (`expired_before`: only if no heartbeat came since)."""
    def guard(locked):
        _holder(attempt)(locked)
        if expired_before is not None:
            _lease_free(expired_before)(locked)
    return states.move(record, "requeue_ocr", details={"reason": reason}, guard=guard)


# --- key fields ------------------------------------------------------------------------------------

COLUMN_OF = {"transaction_no": "transaction_no", "service_number": "service_number", "id_number": "id_number",
             "business_date": "business_date", "business_type": "business_type", "customer_name": "customer_name"}


def category_for(business_type):
    """The category of an active business type of the admin-kept table, "" when there is none."""
    row = BusinessType.objects.filter(name=business_type, active=True).first()
    return row.category if row else ""


# The category is the daily close's sort (archive/dailyclose.py): settled until then, fixed from then on (the
# close counted it, and volumes are bound per category).
CATEGORY_OPEN = frozenset({S.RECEIVED, S.OCR_QUEUED, S.OCR_RUNNING, S.OCR_DONE, S.OCR_FAILED})


def category_open(record):
    return record.status in CATEGORY_OPEN


def _public(name, value):
    return mask(value) if name == "id_number" else value


_LOGGED = {"id_number": mask, "customer_name": mask_name, "service_number": mask_phone}


def _logged(name, value):
    """A corrected value as the event log keeps it: personal data masked, because the log outlives the
    file (it is append-only and kept after destruction)."""
    return _LOGGED.get(name, str)(value)


def apply_fields(record, extracted):
    """Store OCR-extracted fields; copy valid values into the record's columns unless a person corrected
    them. Returns the names of flagged fields."""
    stored = dict(record.fields or {})
    for name, found in extracted.items():
        previous = stored.get(name, {})
        if previous.get("corrected_by"):
            continue
        entry = {"value": _public(name, found.value), "confidence": found.confidence, "problem": found.problem}
        if name == "business_type" and not found.problem and not category_for(found.value):
            entry["problem"] = _("business type is not in the category table")
        if not entry["problem"] and name in COLUMN_OF:
            value = found.value
            if name == "transaction_no" and Record.objects.filter(transaction_no=value).exclude(pk=record.pk).exists():
                entry["problem"] = _("transaction number already belongs to another customer file")
            else:
                setattr(record, COLUMN_OF[name], value)
        stored[name] = entry
    record.fields = stored
    if record.business_type and not record.category:
        record.category = category_for(record.business_type)
    return [n for n, e in stored.items() if e.get("problem")]


def correct_field(actor, record, name, value, request=None):
    """A person corrects one key field; validated, logged with old and new value (ID numbers masked). A
    corrected business type sets the category from the admin-kept table (as OCR does) while the file is not
    yet sorted; `name` "category" corrects the category itself (correct_category)."""
    if name == "category":
        return correct_category(actor, record, value, request=request)
    _require(actor, "record.correct", record)
    value = (value or "").strip()
    if name not in keyfields.LABELS:
        raise TransitionError(_("Unknown field %(name)s") % {"name": name})
    problem = keyfields.validate(name, value)
    if problem:
        raise TransitionError(problem)
    if name == "business_date":
        value = keyfields.parse_date(value)[0].isoformat()
    if name == "transaction_no" and Record.objects.filter(transaction_no=value).exclude(pk=record.pk).exists():
        raise TransitionError(_("transaction number already belongs to another customer file"))
    with transaction.atomic():
        locked = Record.objects.select_for_update().get(pk=record.pk)
        old = getattr(locked, COLUMN_OF[name])
        setattr(locked, COLUMN_OF[name], value)
        fields = dict(locked.fields or {})
        fields[name] = {"value": _public(name, value), "confidence": 1.0, "problem": None,
                        "corrected_by": actor.get_username(), "corrected_at": timezone.now().isoformat()}
        locked.fields = fields
        details = {"field": name, "old": _logged(name, str(old or "")), "new": _logged(name, value)}
        derived = category_for(value) if name == "business_type" and category_open(locked) else ""
        if derived and derived != locked.category:
            details["category"] = {"old": locked.category, "new": derived}
            locked.category = derived
        locked.save()
        auditlog.record(events.RECORD_CORRECT_FIELD, actor=actor, obj=locked, request=request, details=details)
    return locked


def correct_category(actor, record, category, request=None):
    """A person settles the category (权属类/综合类/协议类) of a file not yet sorted at the daily close, e.g.
    when its business type is not in the table; logged with old and new value."""
    _require(actor, "record.correct", record)
    category = (category or "").strip()
    if category not in Category.values:
        raise TransitionError(_("Choose one of the three categories"))
    with transaction.atomic():
        locked = Record.objects.select_for_update().get(pk=record.pk)
        if not category_open(locked):
            raise TransitionError(_("The file was sorted at the daily close; its category is fixed"))
        old = locked.category
        locked.category = category
        locked.save()
        auditlog.record(events.RECORD_CORRECT_FIELD, actor=actor, obj=locked, request=request,
                        details={"field": "category", "old": old, "new": category})
    return locked


def confirm_report_name(actor, record, value=None, request=None):
    """A person takes the customer name the billing report suggests (records/suggest.py) for a flagged name:
    the column is set and the entry marked as confirmed from the report; logged with the name masked.
    `value`: the name the person saw; refused when the suggestion has changed since."""
    _require(actor, "record.correct", record)
    with transaction.atomic():
        locked = Record.objects.select_for_update().get(pk=record.pk)
        fields = dict(locked.fields or {})
        suggested = (fields.get("customer_name") or {}).get("suggested") or {}
        name = (suggested.get("value") or "").strip()
        if not name or suggested.get("source") != "report":
            raise TransitionError(_("There is no name from the report to confirm"))
        if value is not None and value.strip() != name:
            raise TransitionError(_("The name from the report has changed; look at it again"))
        old = locked.customer_name
        locked.customer_name = name
        fields["customer_name"] = {"value": name, "confidence": 1.0, "problem": None,
                                   "corrected_by": actor.get_username(), "corrected_at": timezone.now().isoformat(),
                                   "source": "report", "report": suggested.get("report")}
        locked.fields = fields
        locked.save()
        auditlog.record(events.RECORD_CONFIRM_REPORT_NAME, actor=actor, obj=locked, request=request,
                        details={"field": "customer_name", "old": mask_name(old or ""), "new": mask_name(name),
                                 "source": "report", "report": suggested.get("report")})
    return locked
