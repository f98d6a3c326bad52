"""Appraisal and destruction (鉴定、销毁): the destruction list (销毁清册) from drawing to the witnesses.

1. Draw: the archivist puts due files (retention.due_files: service ended, period over, unheld) on a list.
   What the list prints is copied onto its rows then, so it outlives the files.
2. Appraise: each row is decided: destroy, or keep longer with a later date and a reason.
3. Approve: the general manager signs the appraised list (password asked again, archive/signatures.py).
4. Execute: the archivist, with the password and the two witnesses named, destroys the approved rows.
5. Witness: the two witnesses (监销人), two different people and neither the approver, sign after the act;
   with the second signature the list is closed and its PDF stored with it. List, rows and PDF are kept
   permanently: deleting them is refused (retention_models).

The act and failure. Holds are read again inside the act's transaction, under row locks on the files: a
file held since the approval is left whole and its row says so. In that one transaction the stub is made:
masters' rows, pages (OCR text), key-field values, name, number and ID number are removed, the state
becomes 已销毁 and the search document's deletion is queued in the outbox (search/outbox.py). The storage
objects (master, access copy, pieces) are deleted only after the commit, because deleting an object
cannot be rolled back and the database can: if anything fails before the commit, nothing at all has
changed and every file is whole and recoverable (the message says so). The names still to delete are
written on the list in the same transaction; a failure while deleting them (storage down) leaves the
remaining names listed on the list and the screen and `retention purge LIST` deletes them (deleting is
repeatable: an object already gone counts as deleted).

Paper is bound 30 files to a volume: a volume's paper is destroyed only when every file in it is
destroyed, that is, was due and unheld; until then only the digital copies of its due files are.
"""
import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from org import access, states
from records.models import Record, ReportRow, StoredObject
from records.storage import customer_files, piece_name
from search import outbox

from . import events, holds, retention, signatures
from .base import ChainError, Transition, log
from .models import AuditMark, Custody, DestructionItem, DestructionList, ErrorEntry, VolumeItem

EVENT_DRAWN = events.DESTRUCTION_DRAW
EVENT_APPRAISED = events.DESTRUCTION_APPRAISE
EVENT_APPROVED = events.DESTRUCTION_APPROVE
EVENT_EXECUTED = events.DESTRUCTION_EXECUTE
EVENT_FILE_DESTROYED = events.DESTRUCTION_FILE
EVENT_WITNESSED = events.DESTRUCTION_WITNESS
EVENT_STORAGE = events.DESTRUCTION_STORAGE
L, D = DestructionList.Status, DestructionItem.Decision
FORGOTTEN = "（随档案销毁）"  # what replaces a free-text note about a destroyed file


# --- the record's state ------------------------------------------------------------------------------
def set_destroyed(record, actor, request=None, **details):
    """The file becomes its stub (Record.moves "destroy", declared in archive/models.py): its personal data
    emptied in the same UPDATE as the state, one event-log row."""
    states.move(record, "destroy", actor, request=request, details=details, customer_name="",
                service_number="", id_number="", id_number_hash="", fields={}, access_copy="", ocr_error="")


class Draw(Transition):
    action = "destruction.draw"

    def __init__(self, actor, on=None, record_ids=None, hall=None, request=None):
        super().__init__(actor, request)
        self.on, self.record_ids, self.hall = on or timezone.localdate(), record_ids, hall

    def scope_object(self):
        return None  # a list is city-wide

    def check(self):
        super().check()
        if self.on > timezone.localdate():
            raise ChainError(_("A list is drawn for today or an earlier day, not for the future."))
        due = retention.due_files(self.actor, self.on, self.hall, action="destruction.draw")
        if self.record_ids is not None:
            wanted = {int(pk) for pk in self.record_ids}
            due = [d for d in due if d.record.pk in wanted]
            if len(due) != len(wanted):
                raise ChainError(_("Some chosen files are not due, are held or are already on a list."))
        if not due:
            raise ChainError(_("No files are due for appraisal on that day."))
        locked = set(Record.objects.select_for_update().filter(pk__in=[d.record.pk for d in due])
                     .exclude(retention.on_open_list()).values_list("pk", flat=True))
        self.due = [d for d in due if d.record.pk in locked]

    def execute(self):
        lst = self._new_list()
        DestructionItem.objects.bulk_create([DestructionItem(
            list=lst, record=d.record, position=n, transaction_no=d.record.transaction_no or "",
            title=(d.record.business_type or "")[:120], hall_code=d.record.hall.code, category=d.record.category,
            business_date=d.record.business_date, period=d.rule.label[:80], due_on=d.eligible_on,
            pages=d.record.page_count, volume_number=d.volume_number) for n, d in enumerate(self.due, start=1)])
        self.log(EVENT_DRAWN, lst, on=self.on, files=len(self.due))
        return lst


    def _new_list(self):
        """The list under the year's next number; two lists drawn at the same moment take the next free one
        (the number is unique: a savepoint per try, never a 500)."""
        count = DestructionList.objects.filter(on_date__year=self.on.year).count()
        for attempt in range(1, 21):
            try:
                with transaction.atomic():
                    return DestructionList.objects.create(number=f"XH-{self.on:%Y%m%d}-{count + attempt:04d}",
                                                          on_date=self.on, drawn_by=self.actor)
            except IntegrityError:
                continue
        raise ChainError(_("No free list number: draw the list again."))


class _OnList(Transition):
    def __init__(self, actor, lst, request=None):
        super().__init__(actor, request)
        self.lst = lst

    def scope_object(self):
        return self.lst

    def lock(self, *states):
        self.lst = DestructionList.objects.select_for_update().get(pk=self.lst.pk)
        if self.lst.status not in states:
            raise ChainError(_("The list is %(s)s: this step is not possible now.")
                             % {"s": self.lst.get_status_display()})


class Appraise(_OnList):
    action = "destruction.appraise"

    def __init__(self, actor, item, decision, keep_until=None, reason="", request=None):
        super().__init__(actor, item.list, request)
        self.item, self.decision, self.reason = item, decision, (reason or "").strip()
        self.keep_until = keep_until

    def check(self):
        super().check()
        self.lock(L.DRAWN)
        self.item = DestructionItem.objects.select_for_update().get(pk=self.item.pk, list=self.lst)
        if self.decision not in (D.DESTROY, D.KEEP):
            raise ChainError(_("Decide: destroy, or keep longer."))
        if self.decision == D.KEEP:
            if not isinstance(self.keep_until, datetime.date) or self.keep_until <= self.item.due_on:
                raise ChainError(_("Keeping longer needs a new date after the due date %(d)s.")
                                 % {"d": self.item.due_on})
            if not self.reason:
                raise ChainError(_("Give the reason for keeping the file longer."))

    def execute(self):
        item = self.item
        item.decision, item.reason = self.decision, self.reason[:300]
        item.keep_until = self.keep_until if self.decision == D.KEEP else None
        item.decided_by, item.decided_at = self.actor, timezone.now()
        item.save(update_fields=["decision", "reason", "keep_until", "decided_by", "decided_at"])
        self.log(EVENT_APPRAISED, self.lst, record=item.record_id, decision=item.decision,
                 keep_until=item.keep_until, reason=item.reason)
        return item


class _Signed(_OnList):
    """A step on a list that its actor signs with the password asked again."""

    signing = True

    def __init__(self, actor, password, lst, request=None):
        super().__init__(actor, lst, request)
        self.password = password


class Approve(_Signed):
    action = "destruction.approve"

    def check(self):
        super().check()
        self.lock(L.DRAWN)
        if self.lst.items.filter(decision=D.PENDING).exists():
            raise ChainError(_("Every file on the list must be appraised before the approval."))

    def execute(self):
        states.move(self.lst, "approve", self.actor, request=self.request, approved_by=self.actor,
                    details={"destroy": self.lst.items.filter(decision=D.DESTROY).count(),
                             "keep": self.lst.items.filter(decision=D.KEEP).count()})
        signatures.sign(self.actor, self.lst, "approver", self.request)
        return self.lst


def _names(record):
    """Every storage object of a file: masters, access copy, OCR pieces (stored and by their fixed names)."""
    names = [s.master.name for s in record.scans.all() if s.master]
    if record.access_copy:
        names.append(record.access_copy.name)
    names += [p.piece for p in record.pages.all() if p.piece]
    names += [piece_name(record.pk, n) for n in range(1, record.page_count + 1)]
    return list(dict.fromkeys(names))


def _forget_report_rows(record):
    """The billing report's rows of the file carry the same personal data (name, number, ID number): they
    keep the transaction number, hall and business type, like the stub, and lose the rest."""
    ReportRow.objects.filter(transaction_no=record.transaction_no, hall_code=record.hall.code).update(
        customer_name="", service_number="", id_number="", id_number_hash="")


def _forget_free_text(record):
    """What people typed about the file may name the customer: the error register's descriptions and the
    level-1 audit's notes on it are emptied. The entries stay (kind, clerk, level, dates): the error
    statistics of clerks and halls do not change."""
    ErrorEntry.objects.filter(record=record).exclude(description="").update(description=FORGOTTEN)
    AuditMark.objects.filter(record=record).exclude(note="").update(note=FORGOTTEN)


class Execute(_OnList):
    """The act. Refused without the GM's approval signature and two valid witnesses."""

    action = "destruction.execute"
    signing = True

    def __init__(self, actor, password, lst, witness1, witness2, request=None):
        super().__init__(actor, lst, request)
        self.password, self.witnesses = password, (witness1, witness2)

    def check(self):
        super().check()
        self.lock(L.APPROVED)
        approval = signatures.signatures_of(self.lst).get("approver")
        if approval is None:
            raise ChainError(_("The list has no approval signature of the general manager: nothing destroyed."))
        first, second = self.witnesses
        if first is None or second is None:
            raise ChainError(_("Name two witnesses (监销人): nothing destroyed."))
        if first.pk == second.pk:
            raise ChainError(_("The two witnesses must be two different people: nothing destroyed."))
        if approval.signer_id in (first.pk, second.pk):
            raise ChainError(_("The approver cannot be a witness: nothing destroyed."))
        for witness in self.witnesses:
            if not access.can(witness, "destruction.witness", self.lst):
                raise ChainError(_("%(u)s may not witness a destruction: nothing destroyed.") % {"u": witness})

    def execute(self):
        items = list(self.lst.items.filter(decision=D.DESTROY).order_by("position"))
        records = {r.pk: r for r in Record.objects.select_for_update().filter(pk__in=[i.record_id for i in items])}
        held = holds.held_ids(records)  # again, inside the act's transaction, under the files' locks
        pending, destroyed = [], []
        for item in items:
            record = records[item.record_id]
            if record.pk in held:
                item.outcome = DestructionItem.Outcome.HELD
                item.save(update_fields=["outcome"])
                continue
            pending += _names(record)
            item.content_sha256 = ",".join(sorted(record.scans.values_list("sha256", flat=True)))
            item.outcome = DestructionItem.Outcome.DESTROYED
            item.save(update_fields=["content_sha256", "outcome"])
            record.scans.all().delete()
            record.pages.all().delete()
            record.stored_objects.all().delete()  # their objects are deleted below: no longer fixity-checked
            record.customer_name = record.service_number = record.id_number = record.ocr_error = ""
            record.fields, record.access_copy = {}, ""
            set_destroyed(record, self.actor, self.request, list=self.lst.number, content_sha256=item.content_sha256)
            _forget_report_rows(record)
            _forget_free_text(record)
            outbox.enqueue("record", record.pk, delete=True)
            destroyed.append(record.pk)
        volumes = sorted(set(VolumeItem.objects.filter(record_id__in=destroyed).values_list("volume__number",
                                                                                           flat=True)))
        whole = [v for v in volumes if not Record.objects.filter(volume_item__volume__number=v)
                 .exclude(status=Record.Status.DESTROYED).exists()]
        # an exported volume PDF (archive/bag.py) holds copies of the destroyed files' pages: it goes too
        volume_pdfs = list(StoredObject.objects.filter(kind=StoredObject.Kind.VOLUME_PDF, volume_number__in=volumes)
                           .values_list("key", flat=True))
        StoredObject.objects.filter(key__in=volume_pdfs).delete()
        pending += volume_pdfs
        first, second = self.witnesses
        shelved = Custody.objects.filter(volume__number__in=whole, status__in=[Custody.Status.IN_STORE,
                                                                                Custody.Status.IN_TRANSFER])
        states.move(self.lst, "execute", self.actor, request=self.request, along=[(shelved, "destroy_with_list", {})],
                    destroyed_by=self.actor,
                    destroyed_at=timezone.now(), witness1=first, witness2=second, paper_volumes=whole,
                    storage_pending=pending,
                    details={"destroyed": destroyed,
                             "held": [i.record_id for i in items if i.outcome == DestructionItem.Outcome.HELD],
                             "paper_volumes": whole, "digital_only_volumes": [v for v in volumes if v not in whole],
                             "witnesses": [w.username for w in self.witnesses], "storage_objects": len(pending)})
        signatures.sign(self.actor, self.lst, "executor", self.request)
        return self.lst

    def run(self):
        try:
            lst = super().run()
        except ChainError:
            raise
        except Exception as exc:  # the transaction rolled back: nothing changed
            raise ChainError(_("The destruction failed before it was committed (%(e)s): nothing was destroyed, "
                               "every file is whole and recoverable.") % {"e": exc}) from exc
        return purge_storage(lst, self.actor, self.request)


def purge_storage(lst, actor=None, request=None):
    """Delete the storage objects the act left to delete; repeatable. ChainError naming what is left."""
    store = customer_files()
    with transaction.atomic():
        lst = DestructionList.objects.select_for_update().get(pk=lst.pk)
        names = list(lst.storage_pending)
    done, error = [], None
    for name in names:
        try:
            store.delete(name)  # an object already gone is no error (local and S3 alike)
        except Exception as exc:  # the storage is down or refuses: what is left stays listed
            error = exc
            break
        done.append(name)
    with transaction.atomic():
        lst = DestructionList.objects.select_for_update().get(pk=lst.pk)
        lst.storage_pending = [n for n in lst.storage_pending if n not in set(done)]
        lst.save(update_fields=["storage_pending"])
        if done or error:
            log(EVENT_STORAGE, actor, lst, request, deleted=len(done), left=len(lst.storage_pending),
                error=str(error)[:300] if error else "")
    if error is not None:
        raise ChainError(_("The files' data are destroyed in the database, but %(n)d storage objects could not "
                           "be deleted yet (%(e)s). They stay listed on %(list)s: run `python manage.py retention "
                           "purge %(list)s` or press “delete the rest” again.")
                         % {"n": len(lst.storage_pending), "e": error, "list": lst.number})
    return lst


class Witness(_Signed):
    action = "destruction.witness"

    def check(self):
        super().check()
        self.lock(L.DESTROYED)
        if self.actor.pk == self.lst.witness1_id:
            self.slot = "witness1"
        elif self.actor.pk == self.lst.witness2_id:
            self.slot = "witness2"
        else:
            raise ChainError(_("Only the two witnesses named at the act sign here."))

    def execute(self):
        signatures.sign(self.actor, self.lst, self.slot, self.request)
        signed = signatures.signatures_of(self.lst)
        self.log(EVENT_WITNESSED, self.lst, slot=self.slot)
        if "witness1" in signed and "witness2" in signed:
            from .destruction_pdf import list_pdf

            states.move(self.lst, "close", self.actor, request=self.request)
            self.lst.final_pdf = list_pdf(self.lst)
            self.lst.save(update_fields=["final_pdf"])
        return self.lst
