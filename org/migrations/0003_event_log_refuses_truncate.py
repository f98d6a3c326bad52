"""The event log and its chain head in the database itself: PostgreSQL refuses TRUNCATE of either (and
DELETE of the chain head); SQLite refuses UPDATE and DELETE of log rows and DELETE of the chain head, so
on the embedded default a SQL shell cannot edit the log either. See config/append_only.py."""
from django.db import migrations

from config.append_only import refuse_truncate


class Migration(migrations.Migration):
    dependencies = [("org", "0002_event_log_append_only")]
    operations = [refuse_truncate("org_auditevent"), refuse_truncate("org_chainhead", refuse_delete=True)]
