"""The customer file (客户资料): one business transaction's paper file.

This is the record's core; the digitisation issue adds scans, pages, OCR and the full state machine.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from org.pii import EncryptedIDField, lookup_hash, mask


class Record(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", _("已接收")

    class IdType(models.TextChoices):
        RESIDENT = "resident_id", _("居民身份证")
        PASSPORT = "passport", _("护照")
        HK_MACAO = "hk_macao", _("港澳居民来往内地通行证")
        TAIWAN = "taiwan", _("台湾居民来往大陆通行证")
        OTHER = "other", _("其他")

    hall = models.ForeignKey("org.Hall", on_delete=models.PROTECT, related_name="records", verbose_name=_("营业厅"))
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="records",
                              verbose_name=_("营业员"))
    business_date = models.DateField(_("业务日期"))
    transaction_no = models.CharField(_("受理编号"), max_length=40, unique=True)
    business_type = models.CharField(_("业务类型"), max_length=60, blank=True)
    customer_name = models.CharField(_("客户姓名"), max_length=60, blank=True)
    service_number = models.CharField(_("服务号码"), max_length=20, blank=True, db_index=True)
    id_type = models.CharField(_("证件类型"), max_length=20, choices=IdType.choices, default=IdType.RESIDENT)
    id_number = EncryptedIDField(_("证件号码"), blank=True)
    id_number_hash = models.CharField(_("证件号码哈希"), max_length=64, blank=True, db_index=True, editable=False)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.RECEIVED)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    scope_hall_path = "hall"

    class Meta:
        verbose_name = _("客户资料")
        verbose_name_plural = _("客户资料")
        ordering = ["-business_date", "-id"]

    def save(self, *args, **kwargs):
        self.id_number_hash = lookup_hash(self.id_number)
        super().save(*args, **kwargs)

    @property
    def id_number_masked(self):
        return mask(self.id_number)

    def __str__(self):
        return f"{self.transaction_no} {self.customer_name}"
