"""The procedure document's text leaves out the Mermaid source (handbook/fields.py search_text): every live
procedure is queued in the search outbox, so the worker rewrites its document and no snippet shows the
diagram's source any more."""
from django.db import migrations
from django.utils import timezone


def requeue(apps, schema_editor):
    OutboxEntry = apps.get_model("search", "OutboxEntry")
    now = timezone.now()
    for name in ("ProcedurePage", "SubProcedurePage"):
        pks = apps.get_model("handbook", name).objects.filter(live=True).values_list("pk", flat=True)
        OutboxEntry.objects.bulk_create([OutboxEntry(doctype="procedure", object_id=str(pk), delete=False,
                                                     created_at=now) for pk in pks])


class Migration(migrations.Migration):
    dependencies = [("handbook", "0003_revision_log_refuses_truncate"), ("search", "0001_initial")]

    operations = [migrations.RunPython(requeue, migrations.RunPython.noop)]
