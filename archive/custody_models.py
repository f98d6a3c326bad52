"""Where each volume is kept and what state its paper is in (issue 17, storage locations), and the look-ups and
loans of customer files (查阅、借阅). The rules that use them live in locations.py and loans.py; these models only
hold state, and every state is written through org.states.move and the tables declared here."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from org.states import Machine, Move

from . import events

USER = settings.AUTH_USER_MODEL


class Store(models.Model):
    """库房: a store room of the archive."""

    code = models.CharField(_("Code"), max_length=20, unique=True)
    name = models.CharField(_("Name"), max_length=60)
    active = models.BooleanField(_("Active"), default=True)

    class Meta:
        verbose_name = _("Store")
        verbose_name_plural = _("Stores")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Box(models.Model):
    """盒: one box on one shelf, addressed 库房-排-列-层-盒 (store, row, column, shelf, box)."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="boxes", verbose_name=_("Store"))
    row = models.PositiveSmallIntegerField(_("Row"))
    column = models.PositiveSmallIntegerField(_("Column"))
    shelf = models.PositiveSmallIntegerField(_("Shelf"))
    number = models.PositiveSmallIntegerField(_("Box"))
    active = models.BooleanField(_("Active"), default=True)

    class Meta:
        verbose_name = _("Box")
        verbose_name_plural = _("Boxes")
        ordering = ["store__code", "row", "column", "shelf", "number"]
        constraints = [models.UniqueConstraint(fields=["store", "row", "column", "shelf", "number"],
                                               name="one_box_per_place")]

    def __str__(self):
        return self.label

    @property
    def label(self):
        """The shelf address as the archive writes it: 库房-排-列-层-盒."""
        return f"{self.store.code}库-{self.row:02d}排-{self.column:02d}列-{self.shelf}层-{self.number:03d}盒"


class Custody(models.Model):
    """A volume's place in the archive and the state of its paper. Made when the archivist first shelves it."""

    class Status(models.TextChoices):
        IN_STORE = "in_store", _("In store")
        ON_LOAN = "on_loan", _("On loan")
        IN_TRANSFER = "in_transfer", _("In transfer")
        DESTROYED = "destroyed", _("Destroyed")

    moves = Machine(Status, [
        Move("relocate", {Status.IN_STORE}, Status.IN_STORE, "location.manage", events.CUSTODY_RELOCATE,
             note="archive/locations.py: to another box"),
        Move("transfer", {Status.IN_STORE}, Status.IN_TRANSFER, "location.manage", events.CUSTODY_TRANSFER),
        Move("receive", {Status.IN_TRANSFER}, Status.IN_STORE, "location.manage", events.CUSTODY_RECEIVE,
             note="into a box"),
        Move("lend", {Status.IN_STORE}, Status.ON_LOAN, "loan.issue", events.LOAN_ISSUE, carried=True,
             note="archive/loans.py: issued with its loan; never from on loan (no re-lending)"),
        Move("take_back", {Status.ON_LOAN}, Status.IN_STORE, "loan.issue", events.LOAN_RETURN, carried=True),
        Move("destroy", {Status.IN_STORE, Status.IN_TRANSFER}, Status.DESTROYED, "destruction.execute",
             events.CUSTODY_DESTROY, note="by hand: the paper volume destroyed after an approved destruction list"),
        Move("destroy_with_list", {Status.IN_STORE, Status.IN_TRANSFER}, Status.DESTROYED, "destruction.execute",
             events.DESTRUCTION_EXECUTE, carried=True,
             note="archive/destruction.py: a volume whose every file the list destroyed"),
    ])

    volume = models.OneToOneField("archive.Volume", on_delete=models.PROTECT, related_name="custody",
                                  verbose_name=_("Volume"))
    box = models.ForeignKey(Box, null=True, blank=True, on_delete=models.PROTECT, related_name="custodies",
                            verbose_name=_("Box"))
    status = models.CharField(_("Custody"), max_length=20, choices=Status.choices, default=Status.IN_STORE)
    changed_at = models.DateTimeField(_("Changed at"), auto_now=True)

    scope_hall_path = "volume__hall"

    class Meta:
        verbose_name = _("Custody")
        verbose_name_plural = _("Custody")

    def __str__(self):
        return f"{self.volume_id}: {self.box or ''}"


class Loan(models.Model):
    """查阅/借阅申请: one request, approved or refused by the requester's superior, issued and taken back by the
    archivist. Placed in the organisation by the requester's hall (or branch; neither: city-wide)."""

    class Form(models.TextChoices):
        ON_SITE = "on_site", _("Read on site")
        ELECTRONIC = "electronic", _("Electronic view")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused by the superior")
        ISSUED = "issued", _("Issued")
        RETURNED = "returned", _("Returned to the archive")

    moves = Machine(Status, [
        Move("approve", {Status.REQUESTED}, Status.APPROVED, "loan.approve", events.LOAN_APPROVE,
             note="by the requester's superior (org.access.superior_filter), signed"),
        Move("refuse", {Status.REQUESTED}, Status.REFUSED, "loan.approve", events.LOAN_REFUSE,
             note="with a reason"),
        Move("issue", {Status.APPROVED}, Status.ISSUED, "loan.issue", events.LOAN_ISSUE,
             note="on-site loans: the volumes go on loan"),
        Move("return", {Status.ISSUED}, Status.RETURNED, "loan.issue", events.LOAN_RETURN,
             note="pages counted, condition noted, both sides sign"),
    ])

    number = models.CharField(_("Request number"), max_length=30, unique=True)
    requester = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("Requester"))
    hall = models.ForeignKey("org.Hall", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("Hall"))
    branch = models.ForeignKey("org.Branch", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("Branch"))
    purpose = models.CharField(_("Purpose"), max_length=300)
    form = models.CharField(_("Form of access"), max_length=12, choices=Form.choices)
    days = models.PositiveSmallIntegerField(_("Period (days)"))
    status = models.CharField(_("Status"), max_length=12, choices=Status.choices, default=Status.REQUESTED)
    requested_at = models.DateTimeField(_("Requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("Approved or refused by"))
    decided_at = models.DateTimeField(_("Decided at"), null=True, blank=True)
    refusal = models.CharField(_("Reason for refusal"), max_length=300, blank=True)
    expires_at = models.DateTimeField(_("Access until"), null=True, blank=True)  # electronic view
    issued_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("Issued by"))
    issued_at = models.DateTimeField(_("Issued at"), null=True, blank=True)
    due_at = models.DateTimeField(_("Due back"), null=True, blank=True)
    returned_at = models.DateTimeField(_("Returned at"), null=True, blank=True)
    pages_expected = models.PositiveIntegerField(_("Recorded pages"), default=0)
    pages_counted = models.PositiveIntegerField(_("Pages counted"), null=True, blank=True)
    condition = models.CharField(_("Condition"), max_length=300, blank=True)

    scope_hall_path = "hall"
    scope_branch_path = "branch"

    class Meta:
        verbose_name = _("Loan")
        verbose_name_plural = _("Loans")
        ordering = ["-requested_at", "-id"]

    def __str__(self):
        return self.number


class LoanItem(models.Model):
    """One file or one volume named by a request."""

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="items")
    record = models.ForeignKey("records.Record", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    volume = models.ForeignKey("archive.Volume", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.CheckConstraint(name="loan_item_record_or_volume", condition=(
            models.Q(record__isnull=False, volume__isnull=True) | models.Q(record__isnull=True, volume__isnull=False)))]

    def __str__(self):
        return self.volume.number if self.volume_id else (self.record.transaction_no or f"#{self.record_id}")


class CopyRequest(models.Model):
    """复制: copying from a loan needs its own approval by the same superior, and every copy made is logged."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused by the superior")
        MADE = "made", _("Copies made")

    moves = Machine(Status, [
        Move("approve", {Status.REQUESTED}, Status.APPROVED, "loan.approve", events.LOAN_COPY_APPROVE),
        Move("refuse", {Status.REQUESTED}, Status.REFUSED, "loan.approve", events.LOAN_COPY_REFUSE),
        Move("make", {Status.APPROVED}, Status.MADE, "loan.issue", events.LOAN_COPY_MADE),
    ])

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="copies")
    pages = models.PositiveIntegerField(_("Pages to copy"))
    reason = models.CharField(_("Reason"), max_length=300)
    status = models.CharField(_("Status"), max_length=12, choices=Status.choices, default=Status.REQUESTED)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    made_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)

    scope_hall_path = "loan__hall"
    scope_branch_path = "loan__branch"

    class Meta:
        verbose_name = _("Copy request")
        ordering = ["requested_at", "id"]
