"""The models of a customer file's end (DOMAIN.md "Retention and destruction"): the versioned retention
schedule, the service events imported from the billing system, holds, customers' deletion requests and the
destruction lists (销毁清册) with their rows. The rules that use them are in retention.py, holds.py,
service_events.py and destruction.py; these models only hold state. A destruction list and its rows are
kept permanently: deleting one is refused (destruction.py connects the refusal)."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from org.pii import EncryptedIDField, lookup_hash, mask
from org.states import Machine, Move
from records.models import Category

from . import events

USER = settings.AUTH_USER_MODEL


class RetentionRule(models.Model):
    """One version of one category's schedule. A change is a new row (version + 1); rows are never edited,
    so every version stays. The newest version of a category is in force (retention.rules())."""

    class Trigger(models.TextChoices):
        SERVICE_END = "service_end", _("Service end")
        YEAR_END = "year_end", _("Business date, year-end cut-off")
        AGREEMENT_END = "agreement_end", _("The later of agreement end and service end")

    category = models.CharField(_("Category"), max_length=20, choices=Category.choices)
    version = models.PositiveIntegerField(_("Version"))
    trigger = models.CharField(_("Trigger"), max_length=20, choices=Trigger.choices)
    years = models.PositiveSmallIntegerField(_("Period (years)"))
    authority = models.CharField(_("Authority"), max_length=200)
    changed_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("Changed by"))
    changed_at = models.DateTimeField(_("Changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Retention rule")
        ordering = ["category", "-version"]
        constraints = [models.UniqueConstraint(fields=["category", "version"], name="one_rule_version")]

    def __str__(self):
        return f"{self.get_category_display()} v{self.version}: {self.get_trigger_display()} + {self.years}"


class ServiceEventImport(models.Model):
    """One imported file of service events (销户/过户) from the billing system."""

    source_name = models.CharField(_("File"), max_length=255)
    sha256 = models.CharField(max_length=64, unique=True)
    imported_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("Imported by"))
    imported_at = models.DateTimeField(_("Imported at"), auto_now_add=True)
    row_count = models.PositiveIntegerField(_("Rows"), default=0)

    class Meta:
        ordering = ["-imported_at"]


class ServiceEvent(models.Model):
    """A number closed (销户) or transferred (过户: the previous holder's service ends) on a day."""

    class Kind(models.TextChoices):
        CLOSED = "closed", "销户"
        TRANSFER = "transfer", "过户"

    batch = models.ForeignKey(ServiceEventImport, on_delete=models.PROTECT, related_name="events")
    line = models.PositiveIntegerField()
    service_number = models.CharField(_("Service number"), max_length=20, db_index=True)
    id_number = EncryptedIDField(_("ID number"), blank=True)
    id_number_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    kind = models.CharField(_("Event"), max_length=10, choices=Kind.choices)
    date = models.DateField(_("Event date"))

    class Meta:
        ordering = ["service_number", "date"]

    def save(self, *args, **kwargs):
        self.id_number_hash = lookup_hash(self.id_number)
        super().save(*args, **kwargs)


class Hold(models.Model):
    """A hold (dispute, complaint, legal or audit request) on a file, a volume or every file of a customer
    (by ID number, matched by its hash). Open while `released_at` is empty."""

    class Kind(models.TextChoices):
        RECORD = "record", _("Customer file")
        VOLUME = "volume", _("Volume")
        CUSTOMER = "customer", _("Customer")

    kind = models.CharField(_("Kind"), max_length=10, choices=Kind.choices)
    record = models.ForeignKey("records.Record", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="holds")
    volume = models.ForeignKey("archive.Volume", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="holds")
    id_number = EncryptedIDField(_("ID number"), blank=True)
    id_number_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    reason = models.CharField(_("Reason"), max_length=300)
    placed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("Placed by"))
    placed_at = models.DateTimeField(_("Placed at"), auto_now_add=True)
    released_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.CharField(max_length=300, blank=True)

    scope_hall_path = None  # decided on its target (holds.target)

    class Meta:
        ordering = ["-placed_at", "-id"]

    def save(self, *args, **kwargs):
        self.id_number_hash = lookup_hash(self.id_number)
        super().save(*args, **kwargs)

    @property
    def target(self):
        if self.kind == self.Kind.RECORD:
            return self.record.transaction_no or f"#{self.record_id}"
        if self.kind == self.Kind.VOLUME:
            return self.volume.number
        return mask(self.id_number)

    def __str__(self):
        return f"{self.get_kind_display()} {self.target}"


class DeletionRequest(models.Model):
    """A customer's request to delete their personal information (PIPL art. 47), by ID number. While a
    period still runs, the customer's files are restricted (retention.restricted_q)."""

    id_number = EncryptedIDField(_("ID number"))
    id_number_hash = models.CharField(max_length=64, db_index=True, editable=False)
    reason = models.CharField(_("Reason"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at"]

    def save(self, *args, **kwargs):
        self.id_number_hash = lookup_hash(self.id_number)
        super().save(*args, **kwargs)

    def __str__(self):
        return mask(self.id_number)


class DestructionList(models.Model):
    """销毁清册: drawn by the archivist, appraised row by row, approved by the general manager, executed,
    and signed by two witnesses (监销人) after the act. Kept permanently with its final PDF."""

    class Status(models.TextChoices):
        DRAWN = "drawn", _("Drawn, being appraised")
        APPROVED = "approved", _("Approved")
        DESTROYED = "destroyed", _("Destroyed, waiting for the witnesses")
        CLOSED = "closed", _("Closed")

    moves = Machine(Status, [
        Move("approve", {Status.DRAWN}, Status.APPROVED, "destruction.approve", events.DESTRUCTION_APPROVE,
             note="the general manager signs the appraised list"),
        Move("execute", {Status.APPROVED}, Status.DESTROYED, "destruction.execute", events.DESTRUCTION_EXECUTE,
             note="the act, with two witnesses named"),
        Move("close", {Status.DESTROYED}, Status.CLOSED, "destruction.witness", events.DESTRUCTION_CLOSE,
             note="the second witness signs; the final PDF is stored"),
    ])

    number = models.CharField(_("List number"), max_length=30, unique=True)
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices, default=Status.DRAWN)
    on_date = models.DateField(_("Due on"))
    drawn_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("Drawn by"))
    drawn_at = models.DateTimeField(_("Drawn at"), auto_now_add=True)
    approved_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    destroyed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    destroyed_at = models.DateTimeField(null=True, blank=True)
    witness1 = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    witness2 = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    paper_volumes = models.JSONField(default=list, blank=True)  # volumes whose paper was destroyed whole
    storage_pending = models.JSONField(default=list, blank=True)  # storage names still to delete
    final_pdf = models.BinaryField(null=True, blank=True, editable=False)

    scope_hall_path = None  # city-wide: only whole-city grants cover a list

    class Meta:
        verbose_name = _("Destruction list")
        ordering = ["-drawn_at", "-id"]

    def __str__(self):
        return self.number

    def delete(self, *args, **kwargs):
        raise PermanentRecord("销毁清册永久保存，不能删除")


class DestructionItem(models.Model):
    """One file on a list: what the list prints (copied when drawn, so it survives the act), the
    appraisal's decision and the act's outcome."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Not yet appraised")
        DESTROY = "destroy", _("Destroy")
        KEEP = "keep", _("Keep longer")

    class Outcome(models.TextChoices):
        NONE = "", "—"
        DESTROYED = "destroyed", _("Destroyed")
        HELD = "held", _("Held at the act, not destroyed")

    list = models.ForeignKey(DestructionList, on_delete=models.PROTECT, related_name="items")
    record = models.ForeignKey("records.Record", on_delete=models.PROTECT, related_name="destruction_items")
    position = models.PositiveIntegerField()
    transaction_no = models.CharField(max_length=40, blank=True)
    title = models.CharField(max_length=120, blank=True)
    hall_code = models.CharField(max_length=20)
    category = models.CharField(max_length=20, choices=Category.choices, blank=True)
    business_date = models.DateField()
    period = models.CharField(max_length=80)  # the rule as printed, e.g. "销户后 2 年（v1）"
    due_on = models.DateField()
    pages = models.PositiveIntegerField(default=0)
    volume_number = models.CharField(max_length=60, blank=True)
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    keep_until = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default="", blank=True)
    content_sha256 = models.TextField(blank=True)  # the masters' SHA-256, kept in the stub

    scope_hall_path = None

    class Meta:
        ordering = ["list", "position"]
        constraints = [models.UniqueConstraint(fields=["list", "record"], name="one_row_per_file_and_list")]

    def delete(self, *args, **kwargs):
        raise PermanentRecord("销毁清册及其条目永久保存，不能删除")


class PermanentRecord(Exception):
    """Raised on any attempt to delete a destruction list or one of its rows: they are kept permanently."""


from django.db.models.signals import pre_delete  # noqa: E402
from django.dispatch import receiver  # noqa: E402


@receiver(pre_delete, sender=DestructionList, dispatch_uid="destruction-list-permanent")
@receiver(pre_delete, sender=DestructionItem, dispatch_uid="destruction-item-permanent")
def refuse_deletion(sender, instance, **kwargs):
    raise PermanentRecord("销毁清册及其条目永久保存，不能删除")
