"""Destruction lists (销毁清册) are kept permanently, in the database itself and not only in the models.

The models refuse delete() and a pre_delete signal refuses queryset deletes; these triggers also stop a
SQL shell, a bulk delete that skips signals, or a later bug:
- a list and its rows can never be deleted (and TRUNCATE is refused while they hold rows);
- once a list is closed (both witnesses signed) nothing on it changes, except what the act's clean-up
  needs: the storage names still to delete shrink (`retention purge`) and the final PDF is written once;
- no row is added to, or changed on, a closed list.
As with the event log, the tables' owner can still disable triggers (the test runner does, to flush);
the application's role owns nothing (README, "Privacy and access").
"""
from django.db import migrations

from config.append_only import TRUNCATE_FUNCTION

LIST, ITEM = "archive_destructionlist", "archive_destructionitem"
# every column of a list except those the clean-up after closing may still write
FROZEN = ("number", "status", "on_date", "drawn_by_id", "drawn_at", "approved_by_id", "destroyed_by_id",
          "destroyed_at", "witness1_id", "witness2_id", "paper_volumes")
MESSAGE = "destruction lists are kept permanently"

POSTGRES = [TRUNCATE_FUNCTION, f"""
CREATE OR REPLACE FUNCTION destruction_refuse_delete() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}: DELETE on % refused', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION destruction_list_closed() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'closed' AND (
        (to_jsonb(NEW) - 'storage_pending' - 'final_pdf') IS DISTINCT FROM
        (to_jsonb(OLD) - 'storage_pending' - 'final_pdf')
        OR (OLD.final_pdf IS NOT NULL AND NEW.final_pdf IS DISTINCT FROM OLD.final_pdf)) THEN
        RAISE EXCEPTION '{MESSAGE}: list % is closed', OLD.number USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION destruction_item_closed() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM {LIST} WHERE id = NEW.list_id AND status = 'closed')
       OR (TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM {LIST} WHERE id = OLD.list_id AND status = 'closed')) THEN
        RAISE EXCEPTION '{MESSAGE}: the list of this row is closed' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""] + [f"""
CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION destruction_refuse_delete();
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION append_only_refuse_truncate();""" for table in (LIST, ITEM)] + [f"""
CREATE TRIGGER {LIST}_closed BEFORE UPDATE ON {LIST} FOR EACH ROW EXECUTE FUNCTION destruction_list_closed();
CREATE TRIGGER {ITEM}_closed BEFORE INSERT OR UPDATE ON {ITEM}
    FOR EACH ROW EXECUTE FUNCTION destruction_item_closed();"""]

POSTGRES_BACK = [f"DROP TRIGGER IF EXISTS {table}_{name} ON {table};"
                 for table in (LIST, ITEM) for name in ("no_delete", "no_truncate", "closed")] + [
    "DROP FUNCTION IF EXISTS destruction_refuse_delete();", "DROP FUNCTION IF EXISTS destruction_list_closed();",
    "DROP FUNCTION IF EXISTS destruction_item_closed();"]

_changed = " OR ".join(f"NEW.{column} IS NOT OLD.{column}" for column in FROZEN)
SQLITE = [f"""
CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE refused'); END;""" for table in (LIST, ITEM)] + [f"""
CREATE TRIGGER IF NOT EXISTS {LIST}_closed BEFORE UPDATE ON {LIST}
WHEN OLD.status = 'closed' AND ({_changed} OR (OLD.final_pdf IS NOT NULL AND NEW.final_pdf IS NOT OLD.final_pdf))
BEGIN SELECT RAISE(ABORT, '{MESSAGE}: the list is closed'); END;""", f"""
CREATE TRIGGER IF NOT EXISTS {ITEM}_closed_insert BEFORE INSERT ON {ITEM}
WHEN (SELECT status FROM {LIST} WHERE id = NEW.list_id) = 'closed'
BEGIN SELECT RAISE(ABORT, '{MESSAGE}: the list of this row is closed'); END;""", f"""
CREATE TRIGGER IF NOT EXISTS {ITEM}_closed_update BEFORE UPDATE ON {ITEM}
WHEN (SELECT status FROM {LIST} WHERE id = OLD.list_id) = 'closed'
  OR (SELECT status FROM {LIST} WHERE id = NEW.list_id) = 'closed'
BEGIN SELECT RAISE(ABORT, '{MESSAGE}: the list of this row is closed'); END;"""]

SQLITE_BACK = [f"DROP TRIGGER IF EXISTS {name};" for name in (
    f"{LIST}_no_delete", f"{ITEM}_no_delete", f"{LIST}_closed", f"{ITEM}_closed_insert", f"{ITEM}_closed_update")]


def run(schema_editor, backwards):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = POSTGRES_BACK if backwards else POSTGRES
    elif vendor == "sqlite":
        statements = SQLITE_BACK if backwards else SQLITE
    else:
        return
    for statement in statements:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("archive", "0002_retention_holds_destruction")]
    operations = [migrations.RunPython(lambda apps, editor: run(editor, False),
                                       lambda apps, editor: run(editor, True))]
