"""The owner/runtime split on PostgreSQL: the app must not be able to rewrite its own event log.

The tables' owner (and a superuser) can disable triggers, TRUNCATE and rewrite anything, so the app runs as
a role that owns nothing: `manage.py migrate` connects as the owner (DATABASE_MIGRATE_URL) and then grants
the runtime role (DATABASE_URL's user) what the app needs and no more: read/write on ordinary tables,
SELECT and INSERT only on the event log and the revision log, SELECT/INSERT/UPDATE on the chain head.
runtime_problem() is the start-up check (config/startup.py) that the running role is such a role.
"""
from django.db import connections

# table: privileges of the runtime role (every other table: SELECT, INSERT, UPDATE, DELETE)
LOG_TABLES = {
    "org_auditevent": "SELECT, INSERT",
    "org_chainhead": "SELECT, INSERT, UPDATE",
    "handbook_revisionlogentry": "SELECT, INSERT",
}


def grant_runtime(connection, role):
    """Run as the tables' owner after migrating: give `role` the runtime privileges on every table."""
    role = connection.ops.quote_name(role)
    with connection.cursor() as cur:
        cur.execute("SELECT current_schema()")
        schema = connection.ops.quote_name(cur.fetchone()[0])
        cur.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
        cur.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}")
        cur.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}")
        for table, privileges in LOG_TABLES.items():
            if table in connection.introspection.table_names(cur):
                cur.execute(f"REVOKE ALL ON {table} FROM {role}")
                cur.execute(f"GRANT {privileges} ON {table} TO {role}")


def runtime_problem(alias="default"):
    """One line if the app's database role could rewrite the event log (owns it, is a superuser, or may
    UPDATE/DELETE/TRUNCATE it); None if it cannot, on SQLite, or before the first migration."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute("""
            SELECT t.tableowner, current_user, pg_has_role(current_user, t.tableowner, 'USAGE'),
                   (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
                   has_table_privilege(current_user, t.schemaname || '.' || t.tablename, 'UPDATE, DELETE, TRUNCATE')
            FROM pg_tables t WHERE t.tablename = 'org_auditevent' AND t.schemaname = current_schema()""")
        row = cur.fetchone()
    if row is None:
        return None
    owner, user, owns, superuser, may_change = row
    if superuser:
        return f"the database role {user} is a superuser: it can switch off the event log's triggers and rewrite it"
    if owns:
        return (f"the database role {user} owns the event log (org_auditevent, owner {owner}): it can switch off "
                "its triggers; run the app as a role that owns no table (DATABASE_MIGRATE_URL)")
    if may_change:
        return f"the database role {user} may UPDATE, DELETE or TRUNCATE the event log: run `manage.py migrate`"
    return None
