"""Record and page changes write an outbox row in the same transaction as the change (post_save runs
inside it), so the index learns of every change even while Elasticsearch is down."""
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from records.models import Page, Record

from . import outbox


@receiver(post_save, sender=Record, dispatch_uid="search-record-save")
def record_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        outbox.enqueue("record", instance.pk)


@receiver(post_delete, sender=Record, dispatch_uid="search-record-delete")
def record_deleted(sender, instance, **kwargs):
    outbox.enqueue("record", instance.pk, delete=True)


@receiver(post_save, sender=Page, dispatch_uid="search-page-save")
def page_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        outbox.enqueue("record", instance.record_id)


@receiver(post_delete, sender=Page, dispatch_uid="search-page-delete")
def page_deleted(sender, instance, **kwargs):
    outbox.enqueue("record", instance.record_id)
