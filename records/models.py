"""The customer file (客户资料): one business transaction's paper file.

This is the record's core; the digitisation issue adds scans, pages, OCR and the full state machine.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from org.pii import EncryptedIDField, lookup_hash, mask


class Record(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")

    class IdType(models.TextChoices):
        RESIDENT = "resident_id", _("Resident ID card")
        PASSPORT = "passport", _("Passport")
        HK_MACAO = "hk_macao", _("Hong Kong/Macao resident travel permit")
        TAIWAN = "taiwan", _("Taiwan resident travel permit")
        OTHER = "other", _("Other")

    hall = models.ForeignKey("org.Hall", on_delete=models.PROTECT, related_name="records", verbose_name=_("Hall"))
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="records",
                              verbose_name=_("Clerk"))
    business_date = models.DateField(_("Business date"))
    transaction_no = models.CharField(_("Transaction number"), max_length=40, unique=True)
    business_type = models.CharField(_("Business type"), max_length=60, blank=True)
    customer_name = models.CharField(_("Customer name"), max_length=60, blank=True)
    service_number = models.CharField(_("Service number"), max_length=20, blank=True, db_index=True)
    id_type = models.CharField(_("ID type"), max_length=20, choices=IdType.choices, default=IdType.RESIDENT)
    id_number = EncryptedIDField(_("ID number"), blank=True)
    id_number_hash = models.CharField(_("ID number hash"), max_length=64, blank=True, db_index=True, editable=False)
    status = models.CharField(_("Status"), max_length=20, choices=Status.choices, default=Status.RECEIVED)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    scope_hall_path = "hall"

    class Meta:
        verbose_name = _("Customer files")
        verbose_name_plural = _("Customer files")
        ordering = ["-business_date", "-id"]

    def save(self, *args, **kwargs):
        self.id_number_hash = lookup_hash(self.id_number)
        super().save(*args, **kwargs)

    @property
    def id_number_masked(self):
        return mask(self.id_number)

    def __str__(self):
        return f"{self.transaction_no} {self.customer_name}"


class OperatorReport(models.Model):
    """One imported clerk operation report (营业员操作报表) from the billing system (BOSS)."""

    source_name = models.CharField(_("File"), max_length=255)
    sha256 = models.CharField(max_length=64, unique=True, editable=False)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("Imported by"))
    imported_at = models.DateTimeField(_("Imported at"), auto_now_add=True)
    row_count = models.PositiveIntegerField(_("Rows"), default=0)

    class Meta:
        verbose_name = _("Operator report")
        verbose_name_plural = _("Operator reports")
        ordering = ["-imported_at"]

    def __str__(self):
        return f"{self.source_name} ({self.row_count})"


class ReportRow(models.Model):
    report = models.ForeignKey(OperatorReport, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField()
    transaction_no = models.CharField(_("Transaction number"), max_length=40, db_index=True)
    accepted_at = models.DateTimeField(_("Accepted at"))
    hall_code = models.CharField(_("Hall"), max_length=20, db_index=True)
    employee_no = models.CharField(_("Staff number"), max_length=30)
    business_type = models.CharField(_("Business type"), max_length=60)
    service_number = models.CharField(_("Service number"), max_length=20)
    customer_name = models.CharField(_("Customer name"), max_length=60)
    id_type = models.CharField(_("ID type"), max_length=40)
    id_number = EncryptedIDField(_("ID number"), blank=True)
    id_number_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)

    class Meta:
        ordering = ["report", "line"]

    def save(self, *args, **kwargs):
        self.id_number_hash = lookup_hash(self.id_number)
        super().save(*args, **kwargs)
