"""Names from the billing report (issue 15, "Cross-checks"): a file whose customer name was read badly
(flagged) may take the name the operator's report gives, but only as a suggestion that a person confirms.

A record gets a suggestion when a report row matches it on two strong keys: the transaction number AND the
service number or the ID number (its keyed hash, as records.reconcile.differences compares them); the row
must also be of the record's own hall, so whoever sees the record may see that row (records.reconcile
visible_reports). The record's columns are used, which hold only validated values (transitions.apply_fields).
When the rows that match disagree on the name, nothing is suggested.

The suggestion is kept beside the flagged entry and never copied into the column:

    fields["customer_name"]["suggested"] = {"value": "张三", "source": "report", "report": <report pk>, ...}

The problem stays until a person with `record.correct` confirms it on the record's page
(transitions.confirm_report_name). Called after a report is imported (records.reconcile.import_report) and
by the OCR at the end of one record.
"""
from django.db import transaction
from django.utils import timezone

from org import auditlog
from org.pii import mask_name

from . import events
from .models import Record, ReportRow

FIELD = "customer_name"
CHUNK = 500


def needs_name(record):
    """Is the record's name flagged, not corrected by a person, with a transaction number to match on?"""
    entry = (record.fields or {}).get(FIELD) or {}
    return bool(entry.get("problem")) and not entry.get("corrected_by") and bool(record.transaction_no)


def _strong(record, row):
    if row.transaction_no != record.transaction_no or row.hall_code != record.hall.code:
        return False
    same_phone = bool(record.service_number) and row.service_number == record.service_number
    same_id = bool(record.id_number_hash) and row.id_number_hash == record.id_number_hash
    return same_phone or same_id


def match(record, rows):
    """The suggestion for `record` from its candidate report rows (newest first), or None."""
    found = [row for row in rows if _strong(record, row) and row.customer_name.strip()]
    names = {row.customer_name.strip() for row in found}
    if len(names) != 1:
        return None
    row = found[0]
    return {"value": names.pop(), "source": "report", "report": row.report_id, "line": row.line}


def _rows_by_number(numbers):
    rows = {}
    query = (ReportRow.objects.filter(transaction_no__in=numbers)
             .only("report", "line", "transaction_no", "hall_code", "service_number", "customer_name",
                   "id_number_hash")
             .order_by("-report__imported_at", "-pk"))
    for row in query:
        rows.setdefault(row.transaction_no, []).append(row)
    return rows


def _store(pk, suggestion, actor):
    """Keep the suggestion on the locked record if it still needs one; True when it changed."""
    with transaction.atomic():
        locked = Record.objects.select_for_update().select_related("hall").get(pk=pk)
        if not needs_name(locked):
            return False
        fields = dict(locked.fields)
        entry = dict(fields[FIELD])
        old = {k: v for k, v in (entry.get("suggested") or {}).items() if k != "at"}
        if old == suggestion:
            return False
        entry["suggested"] = {**suggestion, "at": timezone.now().isoformat()}
        fields[FIELD] = entry
        locked.fields = fields
        locked.save(update_fields=["fields"])
        auditlog.record(events.RECORD_NAME_SUGGESTED, actor=actor, obj=locked,
                        actor_name=None if actor is not None else "worker",
                        details={"field": FIELD, "suggested": mask_name(suggestion["value"]), "source": "report",
                                 "report": suggestion["report"]})
    return True


def suggest_names(records, actor=None):
    """Give each of `records` (a queryset or a list) whose name is flagged a name from a matching report row;
    return how many records got a new suggestion. `actor`: who caused it (the report's importer), None for
    the system."""
    if hasattr(records, "select_related"):  # narrowed in the query to flagged names, checked again below
        records = (records.filter(**{f"fields__{FIELD}__problem__isnull": False})
                   .exclude(**{f"fields__{FIELD}__problem": None})).select_related("hall").only(
            "pk", "transaction_no", "service_number", "id_number_hash", "fields", "hall__code").iterator(
            chunk_size=CHUNK)
    count, batch = 0, []
    for record in records:
        if needs_name(record):
            batch.append(record)
        if len(batch) >= CHUNK:
            count += _suggest_batch(batch, actor)
            batch = []
    if batch:
        count += _suggest_batch(batch, actor)
    return count


def _suggest_batch(records, actor):
    rows = _rows_by_number({r.transaction_no for r in records})
    count = 0
    for record in records:
        suggestion = match(record, rows.get(record.transaction_no, []))
        if suggestion and _store(record.pk, suggestion, actor):
            count += 1
    return count
