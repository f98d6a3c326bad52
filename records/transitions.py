"""State changes of a record: each checks permission in org.access and writes the event log."""
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from org import access, auditlog

from .models import Record


@transaction.atomic
def create_record(actor, *, hall, request=None, **fields):
    if not access.can(actor, "record.create", hall):
        raise PermissionDenied(_("You may not register customer files for hall %(hall)s") % {"hall": hall.code})
    record = Record(hall=hall, **fields)
    record.full_clean()
    record.save()
    auditlog.record("record.create", actor=actor, obj=record, request=request,
                    details={"hall": hall.code, "transaction_no": record.transaction_no, "status": record.status})
    return record
