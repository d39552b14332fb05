"""Trigram indexes for the dossier list's text search (`?q=`, workflows.filters.DossierFilter).

The search asks `UPPER(column::text) LIKE UPPER('%words%')` (Django's `icontains` on PostgreSQL)
of a dossier's reference and title and of its nominees' names. A B-tree cannot answer a LIKE
with a leading wildcard, so without these every search read every dossier and nominee; a GIN
index of the same expression's trigrams (pg_trgm) answers it from the index.

PostgreSQL only: the extension operation does nothing elsewhere and the indexes are made only
on PostgreSQL. They are kept out of the models' `Meta.indexes` (the migration state), because
SQLite, which cannot build them, rebuilds a table with every index its state lists.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

# (index, table, column): the expressions must be the ones `icontains` writes.
INDEXES = [
    ("dossiers_dossier_reference_trgm", "dossiers_dossier", "reference"),
    ("dossiers_dossier_title_trgm", "dossiers_dossier", "title"),
    ("dossiers_nominee_name_trgm", "dossiers_nominee", "name"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index, table, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{index}" ON "{table}" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index, _table, _column in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{index}"')


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0014_load_indexes"),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create, drop, elidable=False),
    ]
