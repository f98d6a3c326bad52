"""Who holds each record and volume. `record_location` is what the search app indexes."""
from .models import Volume, VolumeItem


def holder_label(user):
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def record_location(record):
    """{"volume": volume number or None, "holder": display string or None} for one record."""
    item = VolumeItem.objects.filter(record_id=record.pk).select_related("volume__holder").first()
    if item is not None:
        return {"volume": item.volume.number, "holder": holder_label(item.volume.holder)}
    # before the daily close the paper is still at the clerk's counter
    holder = record.holder if record.holder_id else record.clerk
    return {"volume": None, "holder": holder_label(holder)}


def volume_location(volume: Volume):
    return {"volume": volume.number, "holder": holder_label(volume.holder), "status": volume.get_status_display()}
