"""The three handover forms (clerk→hall, hall→branch, branch→marketing). The giver signs when handing over;
the receiver signs to accept or rejects with a reason, which sends everything on the form back to the giver.
A re-handover after a rejection or a level-2 return is a new form linked to the old one (`replaces`)."""
from collections import Counter

from django.db.models import Q
from django.utils.translation import gettext as _

from org import states
from org.models import Hall
from records.models import Category, Record

from . import dat70, events, signatures
from .base import ChainError, Transition
from .models import HandoverForm, Level1Audit, Volume

K, F, S = HandoverForm.Kind, HandoverForm.Status, Record.Status


def _category_counts(records):
    counts = Counter(r.category for r in records)
    return {c: counts.get(c, 0) for c in Category.values}


def _previous(kind, **where):
    """The latest rejected (or return-noted) form the new one replaces, if any."""
    old = (HandoverForm.objects.filter(kind=kind, **where)
           .filter(Q(status=F.REJECTED) | Q(has_returns=True)).exclude(replaced_by__isnull=False)
           .order_by("-created_at", "-id").first())
    return old


def contents(form):
    """What is on `form`, as the rows of its table (screen and receipt): each row a category (clerk→hall,
    hall→branch) or a hall's category (branch→marketing; agreements gathered per branch), with its files
    count (from the figures the giver signed) and, where volumes travel, its volumes. Each row has a `key`
    the receiver ticks when they have counted it; rows with nothing on them are left out."""
    figures = form.figures or {}
    labels = {value: str(label) for value, label in Category.choices}
    volumes = list(form.volumes.select_related("hall").order_by("number")) if form.kind != K.CLERK_HALL else []
    rows = []

    def row(key, label, files, vols):
        if files or vols:
            rows.append({"key": key, "label": label, "files": files or 0,
                         "volumes": None if form.kind == K.CLERK_HALL else len(vols), "volume_list": vols})

    if form.kind == K.BRANCH_MARKETING:
        for hall_code, counts in (figures.get("by_hall") or {}).items():
            for category in (Category.OWNERSHIP, Category.GENERAL):
                vols = [v for v in volumes if v.hall.code == hall_code and v.category == category]
                row(f"{hall_code}:{category}", f"{hall_code} {labels[category]}", counts.get(category, 0), vols)
        row(Category.AGREEMENT, _("%(category)s (whole branch)") % {"category": labels[Category.AGREEMENT]},
            figures.get("agreements", 0), [v for v in volumes if v.category == Category.AGREEMENT])
    else:
        counts = figures.get("by_category") or {}
        for category in Category.values:
            row(category, labels[category], counts.get(category, 0), [v for v in volumes if v.category == category])
    return rows


def contents_total(form, rows=None):
    rows = contents(form) if rows is None else rows
    return {"files": (form.figures or {}).get("records", sum(r["files"] for r in rows)),
            "volumes": None if form.kind == K.CLERK_HALL else sum(r["volumes"] for r in rows)}


def row_labels(form):
    """{row key: its words}, to show a stored count in words."""
    return {r["key"]: r["label"] for r in contents(form)}


class Give(Transition):
    """Base: create the form, sign it as giver."""

    kind = None
    signing = True

    def __init__(self, actor, password, request=None):
        super().__init__(actor, request)
        self.password = password

    @property
    def action(self):
        return f"handover.{self.kind}.give"

    def create(self, **fields):
        form = HandoverForm.objects.create(kind=self.kind, giver=self.actor, **fields)
        return form

    def run(self):
        try:
            return super().run()
        except dat70.Refused as refused:  # rolled back; the refusal itself is logged
            dat70.log_refusal(self.actor, refused, self.action, self.request)
            raise

    def finish(self, form):
        signatures.sign(self.actor, form, "giver", self.request)
        self.log(events.HANDOVER_GIVE, form, kind=self.kind, figures=form.figures, replaces=form.replaces_id)
        return form


class GiveClerkHall(Give):
    """The level-1 auditor hands the audited day's files to the keeper."""

    kind = K.CLERK_HALL

    def __init__(self, actor, password, audit, request=None):
        super().__init__(actor, password, request)
        self.audit = audit

    def scope_object(self):
        return self.audit.hall

    def check(self):
        super().check()
        # the audit row is the lock: two givers of the same day queue up and the second sees the first form
        if not Level1Audit.objects.select_for_update().get(pk=self.audit.pk).signed_at:
            raise ChainError(_("Sign the level-1 audit record of this day first."))
        pending = HandoverForm.objects.filter(kind=self.kind, hall=self.audit.hall, day=self.audit.day,
                                              status=F.GIVEN)
        if pending.exists():
            raise ChainError(_("A handover form of this day is already waiting for the keeper's signature."))
        self.records = list(Record.objects.select_for_update().filter(
            hall=self.audit.hall, business_date=self.audit.day, status=S.L1_PASSED).order_by("pk"))
        if not self.records:
            raise ChainError(_("No audited files of this day are left to hand over."))

    def execute(self):
        hall = self.audit.hall
        form = self.create(hall=hall, branch=hall.branch, day=self.audit.day,
                           figures={"records": len(self.records), "by_category": _category_counts(self.records)},
                           replaces=_previous(self.kind, hall=hall, day=self.audit.day))
        form.records.set(self.records)
        return self.finish(form)


class GiveHallBranch(Give):
    """The keeper hands bound volumes of the hall to the branch auditor."""

    kind = K.HALL_BRANCH

    def __init__(self, actor, password, volumes, request=None):
        super().__init__(actor, password, request)
        self.volumes = list(volumes)

    def scope_object(self):
        return self.volumes[0] if self.volumes else None

    def check(self):
        if not self.volumes:
            raise ChainError(_("Choose the volumes to hand over."))
        super().check()
        self.volumes = list(Volume.objects.select_for_update().filter(pk__in=[v.pk for v in self.volumes])
                            .order_by("number"))
        if len({v.hall_id for v in self.volumes}) != 1:
            raise ChainError(_("One form carries the volumes of one hall."))
        for volume in self.volumes:
            if not Volume.moves.allows("receive_at_branch", volume.status):
                raise ChainError(_("Volume %(v)s is %(s)s: only bound volumes with the keeper can be handed over.")
                                 % {"v": volume, "s": volume.get_status_display()})
            if volume.forms.filter(status=F.GIVEN).exists():
                raise ChainError(_("Volume %(v)s is already on a form waiting for signature.") % {"v": volume})
        dat70.require_passed(self.volumes)  # DA/T 70: a volume that fails does not leave the hall

    def execute(self):
        hall = self.volumes[0].hall
        records = Record.objects.filter(volume_item__volume__in=self.volumes)
        old = (HandoverForm.objects.filter(kind=self.kind, volumes__in=self.volumes)
               .filter(Q(status=F.REJECTED) | Q(has_returns=True)).filter(replaced_by__isnull=True)
               .order_by("-created_at", "-id").first())
        form = self.create(hall=hall, branch=hall.branch, replaces=old, figures={
            "volumes": len(self.volumes), "records": records.count(),
            "by_category": _category_counts(records),
            "volumes_by_category": dict(Counter(v.category for v in self.volumes))})
        form.volumes.set(self.volumes)
        return self.finish(form)


class GiveBranchMarketing(Give):
    """Monthly: the branch auditor hands the branch's month to marketing (ownership and general hall by hall,
    agreements gathered per branch), with the month's figures."""

    kind = K.BRANCH_MARKETING

    def __init__(self, actor, password, branch, year, month, request=None):
        super().__init__(actor, password, request)
        self.branch, self.year, self.month = branch, year, month

    def scope_object(self):
        return self.branch

    def check(self):
        super().check()
        month = Volume.objects.select_for_update().filter(hall__branch=self.branch, year=self.year,
                                                           month=self.month)
        unfinished = [v for v in month if not Volume.moves.allows("receive_at_marketing", v.status)]
        if unfinished:
            raise ChainError(_("Not every volume of the month has passed the level-2 audit: %(list)s")
                             % {"list": ", ".join(f"{v}（{v.get_status_display()}）" for v in unfinished[:10])})
        self.volumes = list(month.order_by("hall__code", "category", "seq"))
        if not self.volumes:
            raise ChainError(_("The branch has no volumes of this month to hand over."))
        dat70.require_passed(self.volumes)  # DA/T 70: nor the branch

    def execute(self):
        by_hall = {}
        for hall in Hall.objects.filter(branch=self.branch).order_by("code"):
            records = Record.objects.filter(volume_item__volume__in=[v for v in self.volumes if v.hall_id == hall.pk])
            counts = _category_counts(records)
            by_hall[hall.code] = {Category.OWNERSHIP: counts[Category.OWNERSHIP],
                                  Category.GENERAL: counts[Category.GENERAL]}
        records = Record.objects.filter(volume_item__volume__in=self.volumes)
        figures = {"by_hall": by_hall, "agreements": records.filter(category=Category.AGREEMENT).count(),
                   "records": records.count(), "volumes": len(self.volumes)}
        form = self.create(branch=self.branch, year=self.year, month=self.month, figures=figures,
                           replaces=_previous(self.kind, branch=self.branch, year=self.year, month=self.month))
        form.volumes.set(self.volumes)
        return self.finish(form)


class _Answer(Transition):
    signing = True

    def __init__(self, actor, password, form, request=None):
        super().__init__(actor, request)
        self.password, self.form = password, form

    @property
    def action(self):
        return f"handover.{self.form.kind}.receive"

    def scope_object(self):
        return self.form

    def check(self):
        super().check()
        self.form = HandoverForm.objects.select_for_update().get(pk=self.form.pk)
        if not HandoverForm.moves.allows("receive", self.form.status):
            raise ChainError(_("This form was already %(s)s.") % {"s": self.form.get_status_display()})
        if self.form.giver_id == self.actor.pk:
            raise ChainError(_("The giver cannot also sign as receiver."))

    def _carried(self):
        """What is on the form: its files (clerk→hall) or its volumes."""
        return self.form.records.all() if self.form.kind == K.CLERK_HALL else self.form.volumes.all()

    def _answer(self, name, along, holder, changes, **details):
        """The form's move; what is on it goes to `holder`, with the carried move `along` (a name) if any."""
        if along is None:  # no state changes, only who holds the paper
            for obj in self._carried().select_for_update():
                obj.holder = holder
                obj.save(update_fields=["holder"])
        states.move(self.form, name, self.actor, request=self.request, receiver=self.actor, **changes,
                    details={"kind": self.form.kind, **details},
                    along=[(self._carried(), along, {"holder": holder})] if along else [])


ALL = object()  # Receive(counted=ALL): every row counted (a caller without the screen's ticks, e.g. a script)


class Receive(_Answer):
    """The receiver signs after counting: every row of the contents ticked as counted, or a note of what
    did not match (a discrepancy the receiver accepts the form with). The ticks and the note are stored on
    the form and logged with the receipt and the signature."""

    NEXT = {K.CLERK_HALL: "receive_at_hall", K.HALL_BRANCH: "receive_at_branch",
            K.BRANCH_MARKETING: "receive_at_marketing"}

    def __init__(self, actor, password, form, request=None, counted=ALL, discrepancy=""):
        super().__init__(actor, password, form, request)
        self.counted, self.discrepancy = counted, (discrepancy or "").strip()

    def check(self):
        super().check()
        rows = contents(self.form)
        keys = [r["key"] for r in rows]
        ticked = set(keys) if self.counted is ALL else {str(k) for k in self.counted}
        self.ticked = [k for k in keys if k in ticked]
        self.unticked = [r for r in rows if r["key"] not in ticked]
        if self.unticked and not self.discrepancy:
            raise ChainError(_("Tick every row you counted, or write what did not match. Not ticked: %(rows)s")
                             % {"rows": "、".join(r["label"] for r in self.unticked)})

    def execute(self):
        count = {"counted": self.ticked, "not_counted": [r["key"] for r in self.unticked],
                 "discrepancy": self.discrepancy}
        signatures.sign(self.actor, self.form, "receiver", self.request, **count)
        self._answer("receive", self.NEXT[self.form.kind], self.actor,
                     {"counted": self.ticked, "discrepancy": self.discrepancy}, figures=self.form.figures, **count)
        return self.form


class Reject(_Answer):
    """Everything on the form goes back whole to the giver, the reason noted."""

    def __init__(self, actor, password, form, reason, request=None):
        super().__init__(actor, password, form, request)
        self.reason = (reason or "").strip()

    def check(self):
        if not self.reason:
            raise ChainError(_("Give the reason for the rejection; it is written on the form."))
        super().check()

    def execute(self):
        signatures.sign(self.actor, self.form, "rejection", self.request, reason=self.reason)
        back = "reject_at_branch" if self.form.kind == K.HALL_BRANCH else None  # files keep l1_passed
        self._answer("reject", back, self.form.giver, {"reason": self.reason}, reason=self.reason,
                     to=self.form.giver.username,
                     volumes=[v.number for v in self.form.volumes.all()],
                     records=list(self.form.records.values_list("pk", flat=True)))
        return self.form
