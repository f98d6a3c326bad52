"""Binding (装订): the keeper binds level-1-passed files into volumes of exactly 30, one hall, one category and
one month per volume; a volume closes short only at month close, by an explicit recorded action.

A record is never in two volumes: VolumeItem.record is unique, the hall row is locked while binding (two
keepers binding at once queue up), and the records are locked and re-checked under that lock."""
import calendar
import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from org import states
from org.models import Hall
from records.models import Category, Record

from . import events
from .base import ChainError, Transition, require
from .models import VOLUME_SIZE, Volume, VolumeItem

S, V = Record.Status, Volume.Status
CATEGORY_CODE = {Category.OWNERSHIP: "QS", Category.GENERAL: "ZH", Category.AGREEMENT: "XY"}  # 权属 综合 协议


def volume_number(hall, year, category, seq):
    return f"{hall.code}-{year}-{CATEGORY_CODE[category]}-{seq:03d}"


def _new_volume(hall, category, year, month, keeper):
    last = Volume.objects.filter(hall=hall, year=year, category=category).order_by("-seq").first()
    seq = (last.seq if last else 0) + 1
    return Volume.objects.create(hall=hall, category=category, year=year, month=month, seq=seq, holder=keeper,
                                 number=volume_number(hall, year, category, seq))


class Bind(Transition):
    action = "volume.bind"

    def __init__(self, actor, records, request=None):
        super().__init__(actor, request)
        self.record_ids = sorted({r.pk if hasattr(r, "pk") else int(r) for r in records})

    def scope_object(self):
        return None

    def check(self):
        if not self.record_ids:
            raise ChainError(_("Choose the files to bind."))
        halls = set(Record.objects.filter(pk__in=self.record_ids).values_list("hall_id", flat=True))
        if len(halls) != 1:
            raise ChainError(_("Bind the files of one hall at a time."))
        self.hall = Hall.objects.select_for_update().get(pk=halls.pop())  # one binder per hall at a time
        require(self.actor, self.action, self.hall)
        self.records = list(Record.objects.select_for_update().filter(pk__in=self.record_ids)
                            .order_by("business_date", "transaction_no", "pk"))
        bound = [r for r in self.records if r.status == S.BOUND]
        if bound:
            raise ChainError(_("Already bound in a volume, nothing was bound: %(list)s")
                             % {"list": ", ".join(f"{r}（{r.volume_item.volume}）" for r in bound[:10])})
        not_here = [r for r in self.records if not Record.moves.allows("bind", r.status)]
        if not_here:
            raise ChainError(_("Only files that passed the level-1 audit and were handed to the keeper can be bound;"
                               " nothing was bound. Not ready: %(list)s")
                             % {"list": ", ".join(f"{r}（{r.get_status_display()}）" for r in not_here[:10])})

    def execute(self):
        touched = []
        groups = {}
        for record in self.records:
            groups.setdefault((record.category, record.business_date.year, record.business_date.month), []).append(record)
        for (category, year, month), records in sorted(groups.items()):
            volume = (Volume.objects.select_for_update()
                      .filter(hall=self.hall, category=category, year=year, month=month, status=V.OPEN)
                      .order_by("seq").first())
            while records:
                if volume is None:
                    volume = _new_volume(self.hall, category, year, month, self.actor)
                    self.log(events.VOLUME_OPEN, volume, number=volume.number)
                room = VOLUME_SIZE - volume.items.count()
                self._fill(volume, records[:room])
                records = records[room:]
                touched.append(volume)
                volume = None  # full, if any files are left
        return touched

    def _fill(self, volume, records):
        """Put `records` into `volume` (in order) and move them to bound; the 30th closes the volume."""
        start = volume.items.count()
        for position, record in enumerate(records, start + 1):
            VolumeItem.objects.create(volume=volume, record=record, position=position)
        full = start + len(records) == VOLUME_SIZE
        states.move(Record.objects.filter(pk__in=[r.pk for r in records]), "bind", self.actor, request=self.request,
                    log_on=volume, along=[(volume, "close", self._closing())] if full else [], details={
                        "records": list(volume.items.values_list("record_id", flat=True)),
                        "count": start + len(records), "status": V.BOUND if full else V.OPEN})

    def _closing(self, reason=""):
        return {"closed_at": timezone.now(), "holder": self.actor, "closed_short_reason": reason,
                "bound_by": self.actor}


def month_end(year, month):
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


class CloseMonth(Bind):
    """Month close: the hall's open volumes of that month are closed short, by this recorded action only."""

    action = "volume.close_short"

    def __init__(self, actor, hall, year, month, reason="", today=None, request=None):
        Transition.__init__(self, actor, request)
        self.hall, self.year, self.month = hall, year, month
        self.reason = reason or _("month close")
        self.today = today or timezone.localdate()

    def check(self):
        require(self.actor, self.action, self.hall)
        self.hall = Hall.objects.select_for_update().get(pk=self.hall.pk)
        if self.today < month_end(self.year, self.month):
            raise ChainError(_("A volume closes short only at month close: %(y)d-%(m)02d ends on %(end)s.")
                             % {"y": self.year, "m": self.month, "end": month_end(self.year, self.month)})
        self.volumes = list(Volume.objects.select_for_update().filter(
            hall=self.hall, year=self.year, month=self.month, status=V.OPEN).order_by("category", "seq"))
        if not self.volumes:
            raise ChainError(_("No open volume of this month is left to close."))

    def execute(self):
        for volume in self.volumes:
            states.move(volume, "close_short", self.actor, request=self.request, **self._closing(self.reason),
                        details={"count": volume.items.count(), "reason": self.reason,
                                 "month": f"{self.year}-{self.month:02d}"})
        return self.volumes


class ReturnToLevel1(Transition):
    """The keeper finds files of a bound volume not acceptable: the whole volume goes back to the level-1
    auditor, the reason written on the level-1 audit record and noted on the clerk→hall form."""

    action = "volume.return_to_level1"

    def __init__(self, actor, volume, reason, request=None):
        super().__init__(actor, request)
        self.volume, self.reason = volume, (reason or "").strip()

    def scope_object(self):
        return self.volume

    def check(self):
        super().check()
        self.volume = Volume.objects.select_for_update().get(pk=self.volume.pk)
        if not Volume.moves.allows("return_to_level1", self.volume.status):
            raise ChainError(_("Only a bound volume with the keeper can go back to the level-1 auditor."))
        if not self.reason:
            raise ChainError(_("Give the reason for the return; it is written on the level-1 audit record."))

    def execute(self):
        from .models import HandoverForm, Level1Audit

        records = Record.objects.filter(volume_item__volume=self.volume)
        forms = list(HandoverForm.objects.filter(kind=HandoverForm.Kind.CLERK_HALL,
                                                 status=HandoverForm.Status.ACCEPTED, records__in=records).distinct())
        note = {"volume": self.volume.number, "reason": self.reason, "by": self.actor.username,
                "at": timezone.now().isoformat()}
        for form in forms:
            form.notes, form.has_returns = [*form.notes, note], True
            form.save(update_fields=["notes", "has_returns"])
        days = sorted(set(records.values_list("business_date", flat=True)))
        for audit in Level1Audit.objects.filter(hall=self.volume.hall, day__in=days):
            audit.notes = (audit.notes + "\n" if audit.notes else "") + _("Volume %(v)s returned by the keeper: %(r)s") % {
                "v": self.volume.number, "r": self.reason}
            audit.save(update_fields=["notes"])
        auditor = forms[0].giver if forms else None
        states.move(self.volume, "return_to_level1", self.actor, request=self.request, holder=auditor, details={
            "reason": self.reason, "level": "hall", "to": auditor.username if auditor else "",
            "forms": [f.pk for f in forms]})
        return self.volume


class FixReturned(Transition):
    """The hall has fixed a returned volume; it is with the keeper again, ready for a new hall→branch form."""

    action = "volume.fix"

    def __init__(self, actor, volume, note, request=None):
        super().__init__(actor, request)
        self.volume, self.note = volume, (note or "").strip()

    def scope_object(self):
        return self.volume

    def check(self):
        super().check()
        self.volume = Volume.objects.select_for_update().get(pk=self.volume.pk)
        if not Volume.moves.allows("fix", self.volume.status):
            raise ChainError(_("Volume %(v)s was not returned.") % {"v": self.volume})
        if not self.note:
            raise ChainError(_("Say what was fixed."))
        open_errors = [r for r in self.volume_records() if r.errors.filter(corrected_at__isnull=True).exists()]
        if open_errors:
            raise ChainError(_("Correct the registered errors first: %(list)s")
                             % {"list": ", ".join(str(r) for r in open_errors[:10])})

    def volume_records(self):
        return [item.record for item in self.volume.items.select_related("record")]

    def execute(self):
        states.move(self.volume, "fix", self.actor, request=self.request, holder=self.actor,
                    details={"note": self.note})
        return self.volume
