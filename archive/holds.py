"""Holds: a dispute, complaint, legal or audit request stops a file's destruction. A hold covers one file,
one volume (every file in it) or every file of one customer, matched by the keyed hash of the ID number
(org.pii), so the number itself is never searched in clear. Several holds may cover one file; a file under
any open hold is never due and is never destroyed (destruction.py asks held_ids() again inside the act's
transaction). Placing and releasing are logged; a release needs a reason."""
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from org.pii import lookup_hash, normalise_id
from records.models import Record

from . import events
from .base import ChainError, Transition
from .models import Hold, VolumeItem

EVENT_PLACED = events.RETENTION_HOLD_ADD
EVENT_RELEASED = events.RETENTION_HOLD_RELEASE


def open_holds():
    return Hold.objects.filter(released_at__isnull=True)


def held_ids(record_ids):
    """The ids among `record_ids` that an open hold covers (of any kind)."""
    record_ids = list(record_ids)
    if not record_ids:
        return set()
    holds = open_holds()
    held = set()
    for start in range(0, len(record_ids), 500):
        chunk = record_ids[start:start + 500]
        held |= set(holds.filter(kind=Hold.Kind.RECORD, record_id__in=chunk).values_list("record_id", flat=True))
        held |= set(VolumeItem.objects.filter(record_id__in=chunk, volume__in=holds.filter(kind=Hold.Kind.VOLUME)
                                              .values("volume_id")).values_list("record_id", flat=True))
        held |= set(Record.objects.filter(pk__in=chunk, id_number_hash__in=holds.filter(kind=Hold.Kind.CUSTOMER)
                                          .exclude(id_number_hash="").values("id_number_hash"))
                    .values_list("pk", flat=True))
    return held


def holds_on(record):
    """The open holds covering one file."""
    q = Q(kind=Hold.Kind.RECORD, record=record)
    item = VolumeItem.objects.filter(record=record).first()
    if item:
        q |= Q(kind=Hold.Kind.VOLUME, volume_id=item.volume_id)
    if record.id_number_hash:
        q |= Q(kind=Hold.Kind.CUSTOMER, id_number_hash=record.id_number_hash)
    return open_holds().filter(q)


class Place(Transition):
    """Place a hold on exactly one of: a file, a volume, a customer's ID number."""

    action = "retention.hold"

    def __init__(self, actor, reason, record=None, volume=None, id_number=None, request=None):
        super().__init__(actor, request)
        self.reason = (reason or "").strip()
        self.record, self.volume = record, volume
        self.id_number = normalise_id(id_number) if id_number else ""

    def scope_object(self):
        return self.record or self.volume  # a customer's hold reaches every hall: a city-wide grant only

    def check(self):
        if sum(bool(x) for x in (self.record, self.volume, self.id_number)) != 1:
            raise ChainError(_("A hold covers exactly one file, one volume or one customer's ID number."))
        if not self.reason:
            raise ChainError(_("Give the reason for the hold."))
        super().check()

    def execute(self):
        kind = Hold.Kind.RECORD if self.record else Hold.Kind.VOLUME if self.volume else Hold.Kind.CUSTOMER
        hold = Hold.objects.create(kind=kind, record=self.record, volume=self.volume, id_number=self.id_number,
                                   reason=self.reason[:300], placed_by=self.actor)
        self.log(EVENT_PLACED, hold, kind=kind, reason=hold.reason, record=self.record.pk if self.record else None,
                 volume=self.volume.number if self.volume else None,
                 customer=lookup_hash(self.id_number)[:12] if self.id_number else None)
        return hold


class Release(Transition):
    action = "retention.hold"

    def __init__(self, actor, hold, reason, request=None):
        super().__init__(actor, request)
        self.hold, self.reason = hold, (reason or "").strip()

    def scope_object(self):
        return self.hold.record or self.hold.volume

    def check(self):
        if not self.reason:
            raise ChainError(_("Give the reason for releasing the hold."))
        super().check()
        self.hold = Hold.objects.select_for_update().get(pk=self.hold.pk)
        if self.hold.released_at:
            raise ChainError(_("This hold was already released."))

    def execute(self):
        self.hold.released_by, self.hold.released_at = self.actor, timezone.now()
        self.hold.release_reason = self.reason[:300]
        self.hold.save(update_fields=["released_by", "released_at", "release_reason"])
        self.log(EVENT_RELEASED, self.hold, kind=self.hold.kind, reason=self.hold.release_reason,
                 placed_reason=self.hold.reason)
        return self.hold
