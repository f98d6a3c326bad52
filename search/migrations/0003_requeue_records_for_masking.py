"""Documents indexed before org.pii.mask_text hold ID numbers as OCR printed them (with spaces, glued to
letters, full-width, 15 digits). Every customer file is queued in the outbox, so the worker rewrites each
document masked on either backend even where nobody runs `search_reindex` after the upgrade (which does the
same at once, and on Elasticsearch also drops the old index)."""
from django.db import migrations
from django.utils import timezone

CHUNK = 5000


def requeue(apps, schema_editor):
    Record = apps.get_model("records", "Record")
    OutboxEntry = apps.get_model("search", "OutboxEntry")
    now, batch = timezone.now(), []
    for pk in Record.objects.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=CHUNK):
        batch.append(OutboxEntry(doctype="record", object_id=str(pk), delete=False, created_at=now))
        if len(batch) == CHUNK:
            OutboxEntry.objects.bulk_create(batch)
            batch = []
    OutboxEntry.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("search", "0002_fulltext"), ("records", "0001_initial")]

    operations = [migrations.RunPython(requeue, migrations.RunPython.noop)]
