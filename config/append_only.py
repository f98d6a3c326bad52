"""Migration operations that make a table append-only in the database itself, not only in the models.

append_only() (PostgreSQL): a row trigger refuses UPDATE and DELETE. refuse_truncate() adds what it left
out: on PostgreSQL a statement trigger refuses TRUNCATE of a table that still has rows, and on SQLite
(the embedded default) row triggers refuse UPDATE and DELETE, so a SQL shell or the admin cannot edit or
remove rows either. Truncating an empty table loses nothing and stays allowed: Django's test runner
flushes every table with one TRUNCATE after the append-only tables were emptied by their owner
(tests/append_only_support.py). The owner (and a superuser) can still disable triggers; that is what the
anchors outside the database catch (org/anchors.py), and why the app runs as a role that owns nothing.
"""
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


TRUNCATE_FUNCTION = """
CREATE OR REPLACE FUNCTION append_only_refuse_truncate() RETURNS trigger AS $$
DECLARE
    has_rows boolean;
BEGIN
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I)', TG_TABLE_SCHEMA, TG_TABLE_NAME) INTO has_rows;
    IF has_rows THEN
        RAISE EXCEPTION '% is append-only: TRUNCATE refused', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def _postgres(table, refuse_delete):
    forward = [TRUNCATE_FUNCTION, f"""
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION append_only_refuse_truncate();"""]
    backward = [f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};"]
    if refuse_delete:  # a table that is updated in place but whose rows must stay (the chain head)
        forward.append(f"""
CREATE OR REPLACE FUNCTION {table}_refuse_delete() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{table} rows cannot be removed: DELETE refused' USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_refuse_delete();""")
        backward += [f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table};",
                     f"DROP FUNCTION IF EXISTS {table}_refuse_delete();"]
    return forward, backward


def _sqlite(table, refuse_delete):
    operations = ["DELETE"] if refuse_delete else ["UPDATE", "DELETE"]
    forward = [f"""
CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table}
BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END;""" for op in operations]
    backward = [f"DROP TRIGGER IF EXISTS {table}_no_{op.lower()};" for op in operations]
    return forward, backward


def refuse_truncate(table, refuse_delete=False):
    """RunPython operation: TRUNCATE refused on PostgreSQL, UPDATE and DELETE refused on SQLite.

    refuse_delete=True is for a table whose single row is updated but must never disappear (the chain
    head): DELETE (and TRUNCATE) refused on both, UPDATE allowed.
    """
    def run(schema_editor, backwards):
        vendor = schema_editor.connection.vendor
        if vendor not in ("postgresql", "sqlite"):
            return
        forward, backward = (_postgres if vendor == "postgresql" else _sqlite)(table, refuse_delete)
        for statement in (backward if backwards else forward):
            schema_editor.execute(statement, params=None)

    return migrations.RunPython(lambda apps, editor: run(editor, False), lambda apps, editor: run(editor, True))
