"""The event log: append-only rows, each chained to the previous one by a SHA-256 hash."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    wagtail_reference_index_ignore = True  # holds no references to Wagtail content
    seq = models.BigIntegerField(_("Sequence"), unique=True)
    created_at = models.DateTimeField(_("Time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="+", verbose_name=_("Actor"),
    )
    actor_name = models.CharField(_("Actor username"), max_length=150, blank=True, db_index=True)
    action = models.CharField(_("Action"), max_length=60, db_index=True)
    object_type = models.CharField(_("Object type"), max_length=60, blank=True, db_index=True)
    object_id = models.CharField(_("Object ID"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("Object"), max_length=200, blank=True)
    details = models.JSONField(_("Details"), default=dict, blank=True)
    ip_address = models.CharField(_("IP address"), max_length=45, blank=True)
    prev_hash = models.CharField(_("Previous row hash"), max_length=64)
    hash = models.CharField(_("Hash"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("Event log")
        verbose_name_plural = _("Event log")
        ordering = ["-seq"]
        default_permissions = ("view",)

    def __str__(self):  # the title of the row's screen: in words (org/eventlabels.py)
        return f"#{self.seq} {self.get_action_label()} {self.get_object_type_label()} {self.object_id}".strip()

    # How rows written before customer files were named without their customer's name are shown and
    # exported (the stored row stays as it was: the chain covers it). A destroyed file's name must not
    # outlive it on the log screens: a file is shown by its transaction number, a correction of a name or
    # a number with the value masked (what records/transitions.py writes today).
    def get_object_repr_display(self):
        if self.object_type == "records.record":
            return self.object_repr.split(" ", 1)[0]
        return self.object_repr

    # the row in words for the screens (org/eventlabels.py); the stored codes stay as they are
    def get_action_label(self):
        from .eventlabels import action_label

        return action_label(self.action)

    def get_object_type_label(self):
        from .eventlabels import type_label

        return type_label(self.object_type)

    def get_actor_full_name(self):
        """The actor's name as the user list shows it ("" for the system, or a user no longer there)."""
        if not self.actor_id:
            return ""
        try:
            return self.actor.full_name or self.actor_name
        except models.ObjectDoesNotExist:
            return self.actor_name

    def get_details_text(self):
        from .eventlabels import details_text

        return details_text(self)

    def get_details_display(self):
        details = self.details
        if self.object_type == "records.record" and isinstance(details, dict) and details.get("field") in (
                "customer_name", "service_number"):
            from .pii import mask_name, mask_phone

            hide = mask_name if details["field"] == "customer_name" else mask_phone
            details = {**details, **{k: hide(str(details[k])) for k in ("old", "new") if k in details}}
        return details


class ChainHead(models.Model):
    """One row holding the last sequence number and hash; locked while a row is appended."""
    wagtail_reference_index_ignore = True  # holds no references to Wagtail content

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        default_permissions = ()
