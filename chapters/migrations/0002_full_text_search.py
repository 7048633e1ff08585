"""Full-text search structures for whichever database is in use (see chapters/search.py)."""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE chapters_searchentry_fts USING fts5("
    " title, text, content='chapters_searchentry', content_rowid='id', tokenize='porter unicode61')",
    "CREATE TRIGGER chapters_searchentry_ai AFTER INSERT ON chapters_searchentry BEGIN"
    " INSERT INTO chapters_searchentry_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "CREATE TRIGGER chapters_searchentry_ad AFTER DELETE ON chapters_searchentry BEGIN"
    " INSERT INTO chapters_searchentry_fts(chapters_searchentry_fts, rowid, title, text)"
    " VALUES ('delete', old.id, old.title, old.text); END",
    "CREATE TRIGGER chapters_searchentry_au AFTER UPDATE ON chapters_searchentry BEGIN"
    " INSERT INTO chapters_searchentry_fts(chapters_searchentry_fts, rowid, title, text)"
    " VALUES ('delete', old.id, old.title, old.text);"
    " INSERT INTO chapters_searchentry_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS chapters_searchentry_au",
    "DROP TRIGGER IF EXISTS chapters_searchentry_ad",
    "DROP TRIGGER IF EXISTS chapters_searchentry_ai",
    "DROP TABLE IF EXISTS chapters_searchentry_fts",
]
POSTGRES_VECTOR = "(setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', text), 'B'))"
POSTGRES_FORWARD = [f"CREATE INDEX chapters_searchentry_fts ON chapters_searchentry USING GIN ({POSTGRES_VECTOR})"]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS chapters_searchentry_fts"]


def run(statements_by_vendor):
    def apply(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("chapters", "0001_initial")]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
