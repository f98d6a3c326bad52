"""On PostgreSQL the event log refuses UPDATE and DELETE: rows can only be appended.

TRUNCATE is left to the table owner (the test runner flushes tables with it); production grants the
application role only SELECT and INSERT on this table, see README.
"""
from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION org_auditevent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'org_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER org_auditevent_no_update_delete
    BEFORE UPDATE OR DELETE ON org_auditevent
    FOR EACH ROW EXECUTE FUNCTION org_auditevent_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS org_auditevent_no_update_delete ON org_auditevent;
DROP FUNCTION IF EXISTS org_auditevent_refuse_change();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("org", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
