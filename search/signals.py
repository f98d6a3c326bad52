"""Record and page changes write an outbox row in the same transaction as the change (post_save runs
inside it), so the index learns of every change even while Elasticsearch is down."""
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from org import states
from records.models import Page, Record

from . import outbox


@receiver(post_save, sender=Record, dispatch_uid="search-record-save")
def record_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        outbox.enqueue("record", instance.pk)


@receiver(states.moved, sender=Record, dispatch_uid="search-record-moved")
def records_moved(sender, pks, **kwargs):
    """A state move writes with one UPDATE (no post_save): its rows are queued here, in the same go."""
    outbox.enqueue_many("record", pks)


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


# The record document carries its volume and holder (archive.custody): binding and handing over a volume
# change the documents of the files in it. Its has_errors (有差错) counts the open entries of the error
# register: registering or correcting an error changes the document of its file.
from archive.models import ErrorEntry, Volume, VolumeItem  # noqa: E402


@receiver(post_save, sender=ErrorEntry, dispatch_uid="search-error-save")
@receiver(post_delete, sender=ErrorEntry, dispatch_uid="search-error-delete")
def error_entry_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        outbox.enqueue("record", instance.record_id)


@receiver(post_save, sender=VolumeItem, dispatch_uid="search-volume-item-save")
@receiver(post_delete, sender=VolumeItem, dispatch_uid="search-volume-item-delete")
def volume_item_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        outbox.enqueue("record", instance.record_id)


@receiver(post_save, sender=Volume, dispatch_uid="search-volume-save")
def volume_saved(sender, instance, created=False, raw=False, **kwargs):
    if raw or created:
        return
    for record_id in VolumeItem.objects.filter(volume=instance).values_list("record_id", flat=True):
        outbox.enqueue("record", record_id)


@receiver(states.moved, sender=Volume, dispatch_uid="search-volume-moved")
def volumes_moved(sender, pks, **kwargs):
    outbox.enqueue_many("record", VolumeItem.objects.filter(volume_id__in=pks).values_list("record_id", flat=True))


# ... and its shelf (archive.locations): shelving, moving and lending a volume change its files' documents.
from archive.models import Custody  # noqa: E402


@receiver(post_save, sender=Custody, dispatch_uid="search-custody-save")
def custody_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        outbox.enqueue_many("record", VolumeItem.objects.filter(volume_id=instance.volume_id)
                            .values_list("record_id", flat=True))


@receiver(states.moved, sender=Custody, dispatch_uid="search-custody-moved")
def custody_moved(sender, pks, **kwargs):
    volumes = Custody.objects.filter(pk__in=pks).values("volume_id")
    outbox.enqueue_many("record", VolumeItem.objects.filter(volume_id__in=volumes).values_list("record_id", flat=True))
