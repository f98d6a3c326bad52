"""The record document's mapping version 2 adds phone_tail and id_tail (search/documents.py). Every customer
file is queued in the outbox, so the worker rewrites each document with its tails on either backend (the
Elasticsearch backend adds the two fields to an existing index's mapping first, search/backends/es.py);
`search_reindex` does the same at once."""
from django.db import migrations


def requeue(apps, schema_editor):
    from importlib import import_module

    import_module("search.migrations.0003_requeue_records_for_masking").requeue(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("search", "0003_requeue_records_for_masking"), ("records", "0001_initial")]

    operations = [migrations.RunPython(requeue, migrations.RunPython.noop)]
