"""Who holds each record and volume, and where its paper is shelved. `record_location` is what the search
app indexes: "location" is the shelf address 库房-排-列-层-盒 (or 借出 / 移交中 / 已销毁) once the archive keeps it."""
from .locations import label
from .models import Custody, Volume, VolumeItem


def holder_label(user):
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def record_location(record):
    """{"volume": volume number or None, "holder": display string or None, "location": shelf or ""} for one
    record."""
    item = VolumeItem.objects.filter(record_id=record.pk).select_related("volume__holder").first()
    if item is not None:
        custody = Custody.objects.filter(volume_id=item.volume_id).select_related("box__store").first()
        return {"volume": item.volume.number, "holder": holder_label(item.volume.holder), "location": label(custody)}
    # before the daily close the paper is still at the clerk's counter
    holder = record.holder if record.holder_id else record.clerk
    return {"volume": None, "holder": holder_label(holder), "location": ""}


def locations(rows):
    """record_location for many records at once (the search app's bulk loads): `rows` are dicts with the
    record's id, holder_id and clerk_id; four queries whatever their number."""
    from org.models import User

    items = dict(VolumeItem.objects.filter(record_id__in=[r["id"] for r in rows])
                 .values_list("record_id", "volume_id"))
    volumes = {v.pk: v for v in Volume.objects.filter(pk__in=set(items.values()))}
    shelves = {c.volume_id: label(c) for c in Custody.objects.filter(volume_id__in=list(volumes))
               .select_related("box__store")}
    wanted = {v.holder_id for v in volumes.values()} | {r["holder_id"] or r["clerk_id"] for r in rows}
    users = {u.pk: u for u in User.objects.filter(pk__in=wanted - {None})}
    result = {}
    for row in rows:
        volume = volumes.get(items.get(row["id"]))
        if volume is not None:
            result[row["id"]] = {"volume": volume.number, "holder": holder_label(users.get(volume.holder_id)),
                                 "location": shelves.get(volume.pk, "")}
        else:
            result[row["id"]] = {"volume": None, "holder": holder_label(users.get(row["holder_id"] or row["clerk_id"])),
                                 "location": ""}
    return result


def volume_location(volume: Volume):
    custody = Custody.objects.filter(volume=volume).select_related("box__store").first()
    return {"volume": volume.number, "holder": holder_label(volume.holder), "status": volume.get_status_display(),
            "location": label(custody)}
