"""The audit and handover chain (DOMAIN.md "The chain"): volumes, handover forms, signatures, the two audit
records, the error register and the marketing checks. The rules that move them live in the modules named
after them (binding.py, handover.py, level1.py ...); the models only hold state."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from org.states import Machine, Move
from records.models import Category, Record

from . import events

USER = settings.AUTH_USER_MODEL
VOLUME_SIZE = 30  # 每30份/本 (DOMAIN.md, enforced)

# The record states this app adds to records.models.Record.Status, named here too so that this app's
# catalogue (archive/locale) carries their Chinese labels.
RECORD_STATE_LABELS = (_("Sorted at daily close"), _("Level-1 audit passed"), _("Level-1 audit error"),
                       _("With the hall records keeper"), _("Bound in a volume"), _("Destroyed"))


R = Record.Status
# The chain's moves of a customer file, added to its state table (records/models.py).
Record.moves.add(
    Move("sort", {R.OCR_DONE}, R.SORTED, "dailyclose.run", events.DAILY_CLOSE, note="archive/dailyclose.py"),
    Move("pass_level1", {R.SORTED, R.L1_PASSED, R.L1_ERROR}, R.L1_PASSED, "audit.level1", events.LEVEL1_MARK,
         note="archive/level1.py; an error passes once corrected"),
    Move("fail_level1", {R.SORTED, R.L1_PASSED, R.L1_ERROR}, R.L1_ERROR, "audit.level1", events.LEVEL1_MARK),
    Move("receive_at_hall", {R.L1_PASSED}, R.AT_HALL, "handover.clerk_hall.receive", events.HANDOVER_RECEIVE,
         carried=True, note="the keeper signs the clerk→hall form"),
    Move("bind", {R.AT_HALL}, R.BOUND, "volume.bind", events.VOLUME_BIND,
         note="archive/binding.py; then it moves with its volume"),
    Move("destroy", set(R.values) - {R.DESTROYED}, R.DESTROYED, "destruction.execute", events.DESTRUCTION_FILE,
         note="archive/destruction.py: the act of an approved, witnessed destruction list; the stub stays"),
)


class Volume(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Being bound")
        BOUND = "bound", _("Bound, with the hall keeper")
        AT_BRANCH = "at_branch", _("With the branch")
        L2_PASSED = "l2_passed", _("Level-2 audit passed")
        RETURNED = "returned", _("Returned to the hall")
        AT_MARKETING = "at_marketing", _("With the marketing department")

    moves = Machine(Status, [
        Move("close", {Status.OPEN}, Status.BOUND, "volume.bind", events.VOLUME_BIND, carried=True,
             note="the 30th file is bound"),
        Move("close_short", {Status.OPEN}, Status.BOUND, "volume.close_short", events.VOLUME_CLOSE_SHORT,
             note="month close"),
        Move("return_to_level1", {Status.BOUND}, Status.RETURNED, "volume.return_to_level1", events.VOLUME_RETURN),
        Move("fix", {Status.RETURNED}, Status.BOUND, "volume.fix", events.VOLUME_FIX),
        Move("receive_at_branch", {Status.BOUND}, Status.AT_BRANCH, "handover.hall_branch.receive",
             events.HANDOVER_RECEIVE, carried=True),
        Move("reject_at_branch", {Status.BOUND}, Status.RETURNED, "handover.hall_branch.receive",
             events.HANDOVER_RETURN, carried=True),
        Move("pass_level2", {Status.AT_BRANCH}, Status.L2_PASSED, "audit.level2", events.LEVEL2_PASS),
        Move("fail_level2", {Status.AT_BRANCH}, Status.RETURNED, "audit.level2", events.VOLUME_RETURN),
        Move("receive_at_marketing", {Status.L2_PASSED}, Status.AT_MARKETING, "handover.branch_marketing.receive",
             events.HANDOVER_RECEIVE, carried=True),
    ])

    hall = models.ForeignKey("org.Hall", on_delete=models.PROTECT, related_name="volumes", verbose_name=_("Hall"))
    category = models.CharField(_("Category"), max_length=20, choices=Category.choices)
    year = models.PositiveIntegerField(_("Year"))
    month = models.PositiveIntegerField(_("Month"))
    seq = models.PositiveIntegerField(_("Sequence"))
    number = models.CharField(_("Volume number"), max_length=60, unique=True)
    status = models.CharField(_("Status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    holder = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("Holder"))
    bound_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("Bound by"))
    closed_short_reason = models.CharField(_("Closed short"), max_length=200, blank=True)
    closed_at = models.DateTimeField(_("Closed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_hall_path = "hall"

    class Meta:
        verbose_name = _("Volume")
        verbose_name_plural = _("Volumes")
        ordering = ["hall__code", "year", "category", "seq"]
        constraints = [models.UniqueConstraint(fields=["hall", "year", "category", "seq"], name="one_volume_seq")]

    def __str__(self):
        return self.number

    @property
    def size(self):
        return self.items.count()


class VolumeItem(models.Model):
    """A record's place in a volume. One row per record (a record is never in two volumes)."""

    volume = models.ForeignKey(Volume, on_delete=models.PROTECT, related_name="items")
    record = models.OneToOneField("records.Record", on_delete=models.PROTECT, related_name="volume_item")
    position = models.PositiveIntegerField()

    scope_hall_path = "volume__hall"

    class Meta:
        ordering = ["volume", "position"]
        constraints = [
            models.UniqueConstraint(fields=["volume", "position"], name="one_record_per_position"),
            models.CheckConstraint(name="position_1_to_30", condition=models.Q(position__gte=1, position__lte=30)),
        ]


class Level1Audit(models.Model):
    """一级稽核记录表: one hall's day, audited 100% against the clerk operation report."""

    hall = models.ForeignKey("org.Hall", on_delete=models.PROTECT, related_name="+", verbose_name=_("Hall"))
    day = models.DateField(_("Business date"))
    auditor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("Level-1 auditor"))
    report = models.ForeignKey("records.OperatorReport", null=True, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(_("Signed at"), null=True, blank=True)
    notes = models.TextField(_("Findings"), blank=True)

    scope_hall_path = "hall"

    class Meta:
        verbose_name = _("Level-1 audit record")
        constraints = [models.UniqueConstraint(fields=["hall", "day"], name="one_level1_audit_per_day")]

    def __str__(self):
        return f"{self.hall.code} {self.day:%Y-%m-%d}"


class AuditMark(models.Model):
    class Result(models.TextChoices):
        PASSED = "passed", _("Passed")
        ERROR = "error", _("Error")

    audit = models.ForeignKey(Level1Audit, on_delete=models.PROTECT, related_name="marks")
    record = models.ForeignKey("records.Record", on_delete=models.PROTECT, related_name="+")
    result = models.CharField(max_length=10, choices=Result.choices)
    note = models.CharField(max_length=200, blank=True)

    scope_hall_path = "audit__hall"

    class Meta:
        constraints = [models.UniqueConstraint(fields=["audit", "record"], name="one_mark_per_record")]


class ErrorEntry(models.Model):
    """业务差错登记: an error found at any level, its responsible clerk and its correction."""

    class Level(models.TextChoices):
        L1 = "l1", _("Level-1 audit")
        L2 = "l2", _("Level-2 audit")
        MARKETING = "marketing", _("Marketing check")
        ARCHIVE = "archive", _("Archive re-check")

    record = models.ForeignKey("records.Record", on_delete=models.PROTECT, related_name="errors",
                               verbose_name=_("Customer file"))
    kind = models.CharField(_("Kind of error"), max_length=60)
    description = models.CharField(_("Description"), max_length=300, blank=True)
    clerk = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("Responsible clerk"))
    level = models.CharField(_("Found at"), max_length=10, choices=Level.choices)
    found_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("Found by"))
    found_at = models.DateTimeField(_("Found on"), auto_now_add=True)
    corrected_at = models.DateTimeField(_("Corrected on"), null=True, blank=True)
    corrected_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("Corrected by"))

    scope_hall_path = "record__hall"

    class Meta:
        verbose_name = _("Error register entry")
        verbose_name_plural = _("Error register")
        ordering = ["-found_at"]


class HandoverForm(models.Model):
    class Kind(models.TextChoices):
        CLERK_HALL = "clerk_hall", _("Clerk–hall handover form")
        HALL_BRANCH = "hall_branch", _("Hall–branch handover form")
        BRANCH_MARKETING = "branch_marketing", _("Branch–marketing handover form")

    class Status(models.TextChoices):
        GIVEN = "given", _("Signed by the giver, waiting for the receiver")
        ACCEPTED = "accepted", _("Received and signed")
        REJECTED = "rejected", _("Rejected")

    moves = Machine(Status, [
        Move("receive", {Status.GIVEN}, Status.ACCEPTED, "handover.{kind}.receive", events.HANDOVER_RECEIVE),
        Move("reject", {Status.GIVEN}, Status.REJECTED, "handover.{kind}.receive", events.HANDOVER_RETURN,
             note="everything on the form goes back to the giver"),
    ])

    kind = models.CharField(_("Form"), max_length=20, choices=Kind.choices)
    hall = models.ForeignKey("org.Hall", null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("Hall"))
    branch = models.ForeignKey("org.Branch", on_delete=models.PROTECT, related_name="+", verbose_name=_("Branch"))
    day = models.DateField(_("Date"), null=True, blank=True)  # clerk→hall: the business day
    year = models.PositiveIntegerField(null=True, blank=True)  # branch→marketing: the month
    month = models.PositiveIntegerField(null=True, blank=True)
    giver = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("Handed over by"))
    receiver = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("Received by"))
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices, default=Status.GIVEN)
    records = models.ManyToManyField("records.Record", blank=True, related_name="+")
    volumes = models.ManyToManyField(Volume, blank=True, related_name="forms")
    figures = models.JSONField(_("Figures"), default=dict)
    reason = models.TextField(_("Reason for rejection"), blank=True)
    notes = models.JSONField(_("Returns noted"), default=list, blank=True)  # level-2 returns noted on the form
    has_returns = models.BooleanField(default=False)
    # the receiver's count: the rows of the contents (archive/handover.py contents()) ticked as counted, and
    # what they wrote about a row that did not match
    counted = models.JSONField(_("Rows counted by the receiver"), default=list, blank=True)
    discrepancy = models.TextField(_("Discrepancy noted by the receiver"), blank=True)
    replaces = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="replaced_by", verbose_name=_("Re-handover of"))
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    scope_hall_path = "hall"
    scope_branch_path = "branch"

    class Meta:
        verbose_name = _("Handover form")
        verbose_name_plural = _("Handover forms")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"


class Signature(models.Model):
    """An authenticated act on a document: password asked again, time, SHA-256 of the canonical content."""

    document_type = models.CharField(max_length=30)
    document_id = models.PositiveBigIntegerField()
    slot = models.CharField(max_length=20)  # giver, receiver, rejection, auditor
    signer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    content_sha256 = models.CharField(max_length=64)
    event_seq = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["document_type", "document_id", "slot"],
                                               name="one_signature_per_slot")]


class Level2Audit(models.Model):
    """二级稽核记录表 of one volume: the seeded sample and its result."""

    class Result(models.TextChoices):
        OPEN = "open", _("In progress")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed, volume returned")

    volume = models.ForeignKey(Volume, on_delete=models.PROTECT, related_name="level2_audits")
    auditor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("Branch auditor"))
    seed = models.CharField(max_length=40)
    sample = models.JSONField(default=list)  # record ids, in drawing order
    findings = models.JSONField(default=dict)  # record id → {"ok": bool, "note": str}
    result = models.CharField(max_length=10, choices=Result.choices, default=Result.OPEN)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    signed_at = models.DateTimeField(null=True, blank=True)

    scope_hall_path = "volume__hall"

    class Meta:
        ordering = ["volume", "-created_at", "-id"]


class MarketingCheck(models.Model):
    """The marketing group's check of one monthly branch→marketing form, or its quarterly process check."""

    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("Monthly check")
        PROCESS = "process", _("Quarterly process check")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    branch = models.ForeignKey("org.Branch", on_delete=models.PROTECT, related_name="+")
    form = models.ForeignKey(HandoverForm, null=True, on_delete=models.PROTECT, related_name="checks")
    year = models.PositiveIntegerField()
    period = models.PositiveIntegerField()  # month, or quarter for a process check
    checker = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    seed = models.CharField(max_length=40, blank=True)
    sample = models.JSONField(default=list)
    findings = models.JSONField(default=dict)  # process check: record id → {"ok", "kind", "note", "by", "at"}
    differences = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_hall_path = None
    scope_branch_path = "branch"

    class Meta:
        ordering = ["-created_at"]


# The end of a file's life (retention, holds, destruction): models of their own module, loaded with this app.
from .retention_models import (  # noqa: E402,F401
    DeletionRequest, DestructionItem, DestructionList, Hold, PermanentRecord, RetentionRule, ServiceEvent,
    ServiceEventImport,
)

# Where volumes are kept and who looked at what (storage locations, look-ups and loans).
from .custody_models import Box, CopyRequest, Custody, Loan, LoanItem, Store  # noqa: E402,F401
