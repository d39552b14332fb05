"""Indexes for the dossier lists as the personas read them (`make load`, issue #16).

- (state, id): a state's dossiers in id order from the index alone. A list or a count with
  `?state=` merges them with the user's grants, which the grants' unique index (group,
  permission, dossier) hands out in the same order (workflows.policy.visible_dossiers), instead
  of reading the rows of every dossier in that state.
- (state, due_date, id): a state's dossiers soonest due first, a voter's inbox (the dossiers
  at the vote): its first page, where the due-date index was walked past every other state.
- The due-date orders of the lists' "Due" column (`?ordering=due`: due date first, no due date
  last, the newest first among equals; `?ordering=-due`: the latest due date first): a page is
  the first 25 visible rows of an index walked in that order, where a sort had to read every
  dossier the user may see. PostgreSQL only, as RunSQL (the vendor checked, as in 0015): SQLite
  takes no NULLS LAST in an index, and they are kept out of the models' state for the same
  reason as 0015's.
"""

from django.db import migrations, models

# (index, its columns): the orders workflows.filters.StableOrderingFilter writes.
DUE_INDEXES = [
    ("dossiers_dossier_due_asc", '"due_date" ASC NULLS LAST, "id" DESC'),
    ("dossiers_dossier_due_desc", '"due_date" DESC NULLS LAST, "id" DESC'),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index, columns in DUE_INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{index}" ON "dossiers_dossier" ({columns})'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index, _columns in DUE_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{index}"')


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0016_awardform_absentee_written_vote"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="dossier",
            index=models.Index(fields=["state", "id"], name="dossiers_do_state_d3482b_idx"),
        ),
        migrations.AddIndex(
            model_name="dossier",
            index=models.Index(
                fields=["state", "due_date", "id"], name="dossiers_do_state_bfc049_idx"
            ),
        ),
        migrations.RunPython(create, drop, elidable=False),
    ]
