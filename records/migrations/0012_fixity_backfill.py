"""The objects stored before hashes were recorded (issue 17): a master's SHA-256 and size were recorded on its
Scan row at intake, so they are copied; an access copy's hash was never recorded, so its row is left without
one and the first fixity check records the baseline (records/fixity.py says so in its report)."""
from django.db import migrations


def backfill(apps, schema_editor):
    Scan = apps.get_model("records", "Scan")
    Record = apps.get_model("records", "Record")
    StoredObject = apps.get_model("records", "StoredObject")
    known = set(StoredObject.objects.values_list("key", flat=True))
    rows = []
    for scan in Scan.objects.exclude(master="").iterator():
        if scan.master.name not in known:
            rows.append(StoredObject(key=scan.master.name, kind="master", record_id=scan.record_id,
                                     size=scan.size, sha256=scan.sha256, recorded_at=scan.created_at))
    for record in Record.objects.exclude(access_copy="").only("pk", "access_copy").iterator():
        if record.access_copy.name not in known:
            rows.append(StoredObject(key=record.access_copy.name, kind="access", record_id=record.pk))
    StoredObject.objects.bulk_create(rows, batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ("records", "0011_fixity"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
