"""PostgreSQL: the documents' words as a stored tsvector column (without positions: the queries only AND
terms), GIN-indexed, in place of the index over the expression to_tsvector('simple', terms). With the
expression index, a plan that checks the match row by row (the facets' counts do, after a selective filter)
computed to_tsvector of every candidate's ~3,000 characters again, about 3 ms a row: the search page with a
common word took seconds (bench/pages.py). SQLite keeps its FTS5 table."""
from django.db import migrations

POSTGRES = [
    "ALTER TABLE search_searchdoc ADD COLUMN terms_tsv tsvector "
    "GENERATED ALWAYS AS (strip(to_tsvector('simple', terms))) STORED",
    "CREATE INDEX search_doc_terms_tsv ON search_searchdoc USING gin (terms_tsv)",
    "DROP INDEX IF EXISTS search_doc_terms_fts",
]
POSTGRES_UNDO = [
    "CREATE INDEX search_doc_terms_fts ON search_searchdoc USING gin (to_tsvector('simple', terms))",
    "ALTER TABLE search_searchdoc DROP COLUMN terms_tsv",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0005_saved_search")]

    operations = [migrations.RunPython(_run(POSTGRES), _run(POSTGRES_UNDO))]
