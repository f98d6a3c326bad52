"""On PostgreSQL the revision log refuses UPDATE and DELETE, like the event log (org/0002)."""
from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION handbook_revisionlog_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'handbook_revisionlogentry is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER handbook_revisionlog_no_update_delete
    BEFORE UPDATE OR DELETE ON handbook_revisionlogentry
    FOR EACH ROW EXECUTE FUNCTION handbook_revisionlog_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS handbook_revisionlog_no_update_delete ON handbook_revisionlogentry;
DROP FUNCTION IF EXISTS handbook_revisionlog_refuse_change();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("handbook", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
