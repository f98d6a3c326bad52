"""On PostgreSQL the event log refuses UPDATE and DELETE: rows can only be appended.

TRUNCATE is left to the table owner (the test runner flushes tables with it); production grants the
application role only SELECT and INSERT on this table, see README.
"""
from django.db import migrations

from config.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("org", "0001_initial")]
    operations = [append_only("org_auditevent")]
