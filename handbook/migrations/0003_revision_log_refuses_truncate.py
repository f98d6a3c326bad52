"""The revision log refuses TRUNCATE on PostgreSQL and UPDATE/DELETE on SQLite, like the event log (org/0003)."""
from django.db import migrations

from config.append_only import refuse_truncate


class Migration(migrations.Migration):
    dependencies = [("handbook", "0002_revision_log_append_only")]
    operations = [refuse_truncate("handbook_revisionlogentry")]
