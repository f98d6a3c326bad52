"""Storage locations (issue 17): every volume the archive keeps has a box, 库房-排-列-层-盒, and a custody state
(in store, on loan, in transfer, destroyed). Shelving a volume for the first time makes its custody row;
every later change is a declared move of Custody (custody_models.py) through org.states.move, with its
event-log row naming the boxes before and after. Loans move the custody along their own moves (loans.py)."""
from django.db import transaction
from django.utils.translation import gettext as _

from org import access, auditlog, states

from . import events
from .base import require
from .models import Box, Custody, Volume


# The states as the archive writes them on paper and in the search index (whatever the screen's language).
STATE_ZH = {"in_store": "在库", "on_loan": "借出", "in_transfer": "移交中", "destroyed": "已销毁"}


def label(custody):
    """Where a volume is, in words: the box address, or its state when it is not in a box."""
    if custody is None:
        return ""
    if custody.status == Custody.Status.IN_STORE and custody.box_id:
        return custody.box.label
    if custody.box_id and custody.status == Custody.Status.ON_LOAN:
        return f"{custody.box.label}（{STATE_ZH[custody.status]}）"
    return STATE_ZH[custody.status]


def _box(box):
    if not box.active:
        raise states.Refused(_("Box %(box)s is no longer in use.") % {"box": box.label})
    return box


def shelve(actor, volume: Volume, box: Box, request=None):
    """Put a volume in a box: the first time makes its custody row (logged); afterwards a relocation."""
    with transaction.atomic():
        volume = Volume.objects.select_for_update().get(pk=volume.pk)
        custody = Custody.objects.filter(volume=volume).first()
        if custody is not None:
            return relocate(actor, custody, box, request)
        require(actor, "location.manage", volume)
        custody = Custody.objects.create(volume=volume, box=_box(box))
        auditlog.record(events.CUSTODY_SHELVE, actor=actor, obj=volume, request=request,
                        details={"to": "in_store", "box": box.label})
        return custody


def relocate(actor, custody: Custody, box: Box, request=None):
    """To another box (in store → in store), the old and the new box in the event log."""
    before = custody.box.label if custody.box_id else ""
    return states.move(custody, "relocate", actor, request=request, log_on=custody.volume, box=_box(box),
                       details={"box_from": before, "box": box.label})


def transfer(actor, custody: Custody, note, request=None):
    """Out of its box for a transfer (移交中); the box stays recorded until it is received again."""
    if not note.strip():
        raise states.Refused(_("Say where the volume goes."))
    return states.move(custody, "transfer", actor, request=request, log_on=custody.volume,
                       details={"note": note.strip(), "box": custody.box.label if custody.box_id else ""})


def receive(actor, custody: Custody, box: Box, request=None):
    return states.move(custody, "receive", actor, request=request, log_on=custody.volume, box=_box(box),
                       details={"box": box.label})


def destroy(actor, custody: Custody, list_number, request=None):
    if not list_number.strip():
        raise states.Refused(_("Name the approved destruction list."))
    return states.move(custody, "destroy", actor, request=request, log_on=custody.volume, box=None,
                       details={"destruction_list": list_number.strip()})


def visible_custody(user, action="archive.view"):
    return access.visible(user, Custody.objects.select_related("box__store", "volume__hall"), action)
