"""Indexes for the staff inbox list's search on PostgreSQL (SQLite searches with a plain match).

- message text: full-text, the same expression inbox.selectors._message_text_matches builds (angle
  brackets become spaces, or the parser reads "<towel>" as a tag and drops the word);
- contact name, email and phone: trigram indexes on the expressions Django's `icontains` compares
  (`UPPER(col::text) LIKE UPPER('%…%')`), so a substring search does not scan every contact.
"""

from django.db import migrations

INDEXES = {
    "inbox_message_body_fts": (
        "inbox_inboxmessage USING gin (to_tsvector('english', translate(body, '<>', '  ')))"
    ),
    "inbox_contact_name_trgm": "inbox_contact USING gin (UPPER(name::text) gin_trgm_ops)",
    "inbox_contact_email_trgm": "inbox_contact USING gin (UPPER(email::text) gin_trgm_ops)",
    "inbox_contact_phone_trgm": "inbox_contact USING gin (UPPER(phone::text) gin_trgm_ops)",
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {definition}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    # CONCURRENTLY: building the indexes on a big inbox does not block the sync's writes.
    atomic = False
    dependencies = [("inbox", "0006_integration_sources")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
