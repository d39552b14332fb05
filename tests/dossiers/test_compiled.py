"""A queryset compiled once (`dossiers.compiled`) gives what Django gives running it each time:
the same rows, related objects and annotations, for one id and for several, on both databases;
one compilation per database and arity; on PostgreSQL the one-id statement keeps a generic plan
(an array of unknown length made the planner plan it again at every run)."""

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from dossiers.compiled import Compiled, Ids
from dossiers.models import Dossier, Nominee
from tests.workflows.helpers import collective_draft

pytestmark = pytest.mark.django_db


def _query(ids):
    return (
        Nominee.objects.filter(dossier_id__in_ids=ids)
        .select_related("dossier__award_form", "collective")
        .annotate(form_code=F("dossier__award_form__code"))
        .order_by("dossier_id", "id")
    )


def _django(ids: list[int]):
    return list(
        Nominee.objects.filter(dossier_id__in=ids)
        .select_related("dossier__award_form", "collective")
        .annotate(form_code=F("dossier__award_form__code"))
        .order_by("dossier_id", "id")
    )


def _seen(rows) -> list[tuple]:
    """What a caller reads of the rows, related objects and annotation included."""
    return [
        (
            n.pk, n.name, n.outcome, n.dossier.pk, n.dossier.reference, n.dossier.state,
            n.dossier.award_form.code, n.collective.name, n.form_code,
        )
        for n in rows
    ]  # fmt: skip


def test_rows_related_objects_and_annotations_as_django_gives_them(world):
    first = collective_draft(world, ["Chi hội Một", "Chi hội Hai"])
    second = collective_draft(world, ["Chi hội Ba"])
    collective_draft(world, ["Chi hội Khác"])  # not asked for
    compiled = Compiled(_query)
    for ids in ([first.pk], [first.pk, second.pk], [second.pk, first.pk]):
        with CaptureQueriesContext(connection) as context:
            rows = compiled("default", ids=ids)
            seen = _seen(rows)  # related objects read from the one query's rows
        assert len(context.captured_queries) == 1
        assert seen == _seen(_django(ids)) and seen
    assert set(compiled.plans) == {("default", (("ids", True),)), ("default", (("ids", False),))}
    assert compiled("default", ids=[]) == []


def test_the_sql_is_one_text_whatever_the_number_of_ids(world):
    dossiers = [collective_draft(world, [f"Chi hội {i}"]) for i in range(4)]
    compiled = Compiled(_query)
    texts = set()
    for n in (2, 3, 4):
        with CaptureQueriesContext(connection) as context:
            assert len(compiled("default", ids=[d.pk for d in dossiers[:n]])) == n
        texts.add(context.captured_queries[0]["sql"].split("WHERE")[0])
    plan = compiled.plans["default", (("ids", False),)]
    assert plan.sql.count("%s") == len(plan.params) and len(texts) == 1


def test_in_ids_takes_only_the_stand_in():
    with pytest.raises(TypeError):
        str(Nominee.objects.filter(dossier_id__in_ids=[1, 2]).query)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_on_postgresql_the_one_id_statement_keeps_a_generic_plan(world):
    dossiers = [collective_draft(world, [f"Chi hội {i}"]) for i in range(3)]
    compiled = Compiled(_query)
    for _ in range(4):
        for d in dossiers:
            compiled("default", ids=[d.pk])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = %s",
            [compiled.plans["default", (("ids", True),)].sql.replace("%s", "$1")],
        )
        generic, custom = cursor.fetchone()
    # Prepared after 5 runs (psycopg's prepare_threshold); PostgreSQL plans the first five
    # executions for their values, then keeps the generic plan.
    assert generic > 0 and custom <= 5


def test_ids_bind_as_one_parameter():
    assert Ids("ids", single=True).bind([7], "postgresql") == 7
    assert Ids("ids", single=False).bind([7, 8], "postgresql") == [7, 8]
    assert Ids("ids", single=False).bind([7, 8], "sqlite") == "[7, 8]"


def test_a_locking_query_is_refused_outside_a_transaction(world, monkeypatch):
    """As Django refuses select_for_update in autocommit (where the database locks rows)."""
    from django.db.transaction import TransactionManagementError

    dossier = collective_draft(world, ["Chi hội Một"])
    compiled = Compiled(lambda pk: Dossier.objects.select_for_update().filter(pk__in_ids=pk))
    assert [d.pk for d in compiled("default", pk=[dossier.pk])] == [dossier.pk]
    if not connection.features.has_select_for_update:
        return  # SQLite: no row locks, nothing refused (as Django)
    monkeypatch.setattr(connection, "get_autocommit", lambda: True)  # outside any transaction
    with pytest.raises(TransactionManagementError):
        compiled("default", pk=[dossier.pk])
