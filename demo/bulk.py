"""Bulk dossiers for load tests (`manage.py bulk_dossiers --count N`, `make load`).

Each new dossier is a copy of one of the dossiers already there (the demo's, made through the
real services, in every state, of every organisation and award form): the same organisation,
form, year, state, level holding it, stage clock (its due date moved by a few days either
way), bloc and assignee; copies of its nominees (without their registry person or collective);
and exactly the view grants the services gave the original in that state (dossiers/access.py),
so lists, inboxes and pages see the copies as they see real dossiers. Each copy gets one
`create` event in the audit ledger (from nothing to its state and version, the original's
reference in its data), chained and hashed by the ledger's own `Bulk`, and its first history
rows carry that event's seq: `verify_audit` passes on the result.

Rows go in with bulk_create, a few thousand dossiers per transaction (one ledger lock each).
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from collections.abc import Callable

from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from audit import ledger
from dossiers.models import (
    Dossier,
    DossierGroupObjectPermission,
    DossierUserObjectPermission,
    Nominee,
)

BATCH = 2000
MARK = "B"  # references of generated dossiers: <organisation>-<year>-B000001
REFERENCE_RE = rf"-{MARK}[0-9]{{6}}$"
COPIED = (
    "organization_id", "award_form_id", "year", "state", "version", "bloc_id", "held_from",
    "holder_id", "route_step", "stage_started_on", "reason_code", "created_by_id",
    "submitted_at", "assignee_id",
)  # fmt: skip
NOMINEE_COPIED = (
    "kind", "organization_id", "achievements", "outcome", "outcome_reason", "criterion",
    "checks", "checked_at",
)  # fmt: skip


def templates() -> list[Dossier]:
    """The dossiers copied: every dossier that is not itself generated, oldest first."""
    return list(
        Dossier.objects.exclude(reference__regex=REFERENCE_RE)
        .select_related("created_by", "organization")
        .prefetch_related("nominees")
        .order_by("id")
    )


def _grants(model: type[models.Model], ids: list[int], owner: str) -> dict[int, list[tuple]]:
    rows = model.objects.filter(content_object_id__in=ids).values_list(
        "content_object_id", owner, "permission_id"
    )
    found: dict[int, list[tuple]] = defaultdict(list)
    for dossier_id, owner_id, permission_id in rows:
        found[dossier_id].append((owner_id, permission_id))
    return found


def _tracked(model: type[models.Model]) -> tuple[type[models.Model], list[str]]:
    """The historical model of `model` and the columns it copies from it."""
    history = model.history.model  # type: ignore[attr-defined]
    names = [
        f.attname
        for f in history._meta.concrete_fields
        if not f.name.startswith("history_") and f.name != "ledger_seq"
    ]
    return history, names


def _history_row(obj: models.Model, tracked, *, seq: int, user_id: int | None, at, reason: str):
    """The first history row of `obj` (simple-history's `+`), linked to its ledger event."""
    model, names = tracked
    values = {name: getattr(obj, name) for name in names}
    return model(
        **values,
        history_date=at,
        history_type="+",
        history_user_id=user_id,
        history_change_reason=reason,
        ledger_seq=seq,
    )


def _next_number() -> int:
    """The next free number of the generated references (they are numbered across all)."""
    last = (
        Dossier.objects.filter(reference__regex=REFERENCE_RE).aggregate(last=Max("id")).get("last")
    )
    if last is None:
        return 1
    reference = Dossier.objects.get(pk=last).reference
    return int(reference.rsplit(MARK, 1)[1]) + 1


def generate(count: int, *, seed: int = 2024, progress: Callable[[int], None] | None = None):
    """Add `count` dossiers copied from the existing ones, round robin; returns how many."""
    originals = templates()
    if not originals:
        raise ValueError("no dossier to copy: run seed_demo first")
    ids = [d.pk for d in originals]
    group_grants = _grants(DossierGroupObjectPermission, ids, "group_id")
    user_grants = _grants(DossierUserObjectPermission, ids, "user_id")
    rng = random.Random(seed)
    number = _next_number()
    done = 0
    while done < count:
        size = min(BATCH, count - done)
        with transaction.atomic():
            _batch(originals, number + done, size, rng, group_grants, user_grants)
        done += size
        if progress:
            progress(done)
    return done


def _batch(originals, first: int, size: int, rng, group_grants, user_grants) -> None:
    now = timezone.now()
    dossier_history, nominee_history = _tracked(Dossier), _tracked(Nominee)
    bulk = ledger.Bulk()
    sources = [originals[(first + i) % len(originals)] for i in range(size)]
    dossiers = []
    for i, source in enumerate(sources):
        n = first + i
        copy = Dossier(
            reference=f"{source.organization.code}-{source.year}-{MARK}{n:06d}",
            title=f"{source.title} · {n}"[:255],
            due_date=(
                source.due_date + datetime.timedelta(days=rng.randint(-20, 20))
                if source.due_date
                else None
            ),
            **{name: getattr(source, name) for name in COPIED},
        )
        dossiers.append(copy)
    _numbered(Dossier, dossiers)
    nominees, histories, grants, user_rows = [], [], [], []
    for source, copy in zip(sources, dossiers, strict=True):
        seq = bulk.reserve()
        user_id = source.created_by_id
        histories.append(_history_row(copy, dossier_history, seq=seq, user_id=user_id, at=now,
                                      reason="dossier.created"))  # fmt: skip
        for nominee in source.nominees.all():
            nominees.append(
                (
                    seq,
                    user_id,
                    Nominee(
                        dossier=copy,
                        name=nominee.name,
                        **{name: getattr(nominee, name) for name in NOMINEE_COPIED},
                    ),
                )
            )
        grants += [
            DossierGroupObjectPermission(
                content_object_id=copy.pk, group_id=group_id, permission_id=permission_id
            )
            for group_id, permission_id in group_grants.get(source.pk, ())
        ]
        user_rows += [
            DossierUserObjectPermission(
                content_object_id=copy.pk, user_id=user_id_, permission_id=permission_id
            )
            for user_id_, permission_id in user_grants.get(source.pk, ())
        ]
        bulk.add(
            ledger.Entry(
                seq=seq, actor=source.created_by, action="create",
                object_type="dossiers.dossier", object_id=str(copy.pk), dossier_id=copy.pk,
                from_state="", to_state=copy.state, version=copy.version,
                data={"generated_from": source.reference},
            )
        )  # fmt: skip
    _numbered(Nominee, [row for _s, _u, row in nominees])
    histories += [
        _history_row(row, nominee_history, seq=seq, user_id=user_id, at=now, reason="nominee.added")
        for seq, user_id, row in nominees
    ]
    by_model: dict[type, list] = defaultdict(list)
    for row in histories:
        by_model[type(row)].append(row)
    for model, rows in by_model.items():
        insert(model, rows)
    insert(DossierGroupObjectPermission, grants)
    insert(DossierUserObjectPermission, user_rows)
    bulk.flush(insert=insert)


def _numbered(model: type[models.Model], objs: list) -> None:
    """Rows whose ids the next rows need: ids taken from the table's sequence on PostgreSQL,
    then COPY; bulk_create (which reads them back) elsewhere."""
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=BATCH)
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
    insert(model, objs)


def insert(model: type[models.Model], objs: list) -> None:
    """Rows whose ids nobody reads back: COPY on PostgreSQL (several times faster than a
    multi-row INSERT for wide text rows such as the ledger's bodies), bulk_create elsewhere."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=BATCH)
        return
    numbered = objs[0].pk is not None
    fields = [
        f
        for f in model._meta.concrete_fields
        if numbered or not (f.primary_key and isinstance(f, models.AutoField))
    ]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row(
                    [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
                )
