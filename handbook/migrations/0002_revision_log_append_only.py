"""On PostgreSQL the revision log refuses UPDATE and DELETE, like the event log (org/0002)."""
from django.db import migrations

from config.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("handbook", "0001_initial")]
    operations = [append_only("handbook_revisionlogentry", function="handbook_revisionlog_refuse_change",
                              trigger="handbook_revisionlog_no_update_delete")]
