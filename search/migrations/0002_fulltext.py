"""Full-text index of SearchDoc.terms: an FTS5 table kept in step by triggers on SQLite, a GIN index over
to_tsvector('simple', terms) on PostgreSQL."""
from django.db import migrations

SQLITE = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(terms, content='search_searchdoc', content_rowid='id')",
    """CREATE TRIGGER search_fts_ai AFTER INSERT ON search_searchdoc BEGIN
        INSERT INTO search_fts(rowid, terms) VALUES (new.id, new.terms); END""",
    """CREATE TRIGGER search_fts_ad AFTER DELETE ON search_searchdoc BEGIN
        INSERT INTO search_fts(search_fts, rowid, terms) VALUES ('delete', old.id, old.terms); END""",
    """CREATE TRIGGER search_fts_au AFTER UPDATE ON search_searchdoc BEGIN
        INSERT INTO search_fts(search_fts, rowid, terms) VALUES ('delete', old.id, old.terms);
        INSERT INTO search_fts(rowid, terms) VALUES (new.id, new.terms); END""",
]
SQLITE_UNDO = ["DROP TRIGGER search_fts_au", "DROP TRIGGER search_fts_ad", "DROP TRIGGER search_fts_ai",
               "DROP TABLE search_fts"]
POSTGRES = ["CREATE INDEX search_doc_terms_fts ON search_searchdoc USING gin (to_tsvector('simple', terms))"]
POSTGRES_UNDO = ["DROP INDEX search_doc_terms_fts"]


def _run(statements):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for sql in statements.get(vendor, []):
            schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        migrations.RunPython(_run({"sqlite": SQLITE, "postgresql": POSTGRES}),
                             _run({"sqlite": SQLITE_UNDO, "postgresql": POSTGRES_UNDO})),
    ]
