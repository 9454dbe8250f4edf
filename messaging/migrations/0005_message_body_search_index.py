"""A GIN index for message search on PostgreSQL (the same expression selectors._tsvector builds:
angle brackets become spaces, or the parser reads "<towel>" as a tag and drops the word).
SQLite has no full-text index here: search there is a plain case-insensitive match."""

from django.db import migrations

INDEX = "messaging_msg_body_fts"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON messaging_message USING gin (to_tsvector('english', translate(body, '<>', '  ')))"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    # CONCURRENTLY: building the index on a big messages table does not block sends.
    atomic = False
    dependencies = [("messaging", "0004_chat_edit_delete_receipts_emails_start_policy")]

    operations = [migrations.RunPython(create_index, drop_index)]
