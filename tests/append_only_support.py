"""What the tables' owner can do to the append-only tables, for tests: switch their triggers off for a
moment (PostgreSQL: DISABLE TRIGGER USER; SQLite: drop and re-create them).

Used to tamper with the log as an attacker with the owner's rights would, and to empty the tables before
Django's test runner flushes the database with TRUNCATE (which the triggers refuse while rows remain).
"""
from contextlib import contextmanager

from django.db import connection, transaction

APPEND_ONLY_TABLES = ("org_auditevent", "org_chainhead", "handbook_revisionlogentry",
                      # permanent: destruction lists and their rows (rows first, for the foreign key)
                      "archive_destructionitem", "archive_destructionlist")


@contextmanager
def triggers_off(tables=APPEND_ONLY_TABLES):
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            for table in tables:
                cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            yield cur
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks: ALTER refuses them
            for table in tables:
                cur.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        else:
            marks = ",".join("%s" for _ in tables)
            cur.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({marks})",
                        list(tables))
            triggers = cur.fetchall()
            for name, _ in triggers:
                cur.execute(f"DROP TRIGGER {name}")
            yield cur
            for _, sql in triggers:
                cur.execute(sql)


def empty_append_only_tables():
    with triggers_off() as cur:
        for table in APPEND_ONLY_TABLES:
            cur.execute(f"DELETE FROM {table}")
