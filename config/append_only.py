"""A migration operation that makes a table append-only on PostgreSQL: a trigger refuses UPDATE and DELETE
(TRUNCATE stays with the table owner: the test runner flushes tables with it). Other databases are left
as they are; the models refuse changes there."""
from django.db import migrations


def _sql(table):
    function, trigger = f"{table}_refuse_change", f"{table}_no_update_delete"
    forward = f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{table} is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER {trigger}
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {function}();
"""
    backward = f"""
DROP TRIGGER IF EXISTS {trigger} ON {table};
DROP FUNCTION IF EXISTS {function}();
"""
    return forward, backward


def append_only(table, function=None, trigger=None):
    """RunPython operation for `table` (function and trigger names may be given to keep older ones)."""
    forward_sql, backward_sql = _sql(table)
    if function:
        forward_sql = forward_sql.replace(f"{table}_refuse_change", function)
        backward_sql = backward_sql.replace(f"{table}_refuse_change", function)
    if trigger:
        forward_sql = forward_sql.replace(f"{table}_no_update_delete", trigger)
        backward_sql = backward_sql.replace(f"{table}_no_update_delete", trigger)

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(forward_sql, params=None)

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(backward_sql, params=None)

    return migrations.RunPython(forward, backward)
