"""Running the eligibility rules on a dossier costs the same queries whatever its number of
nominees (a dossier of a unit's year carries dozens: bench_year)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dossiers import checks
from dossiers.models import Dossier
from workflows import services as wf

pytestmark = pytest.mark.django_db


def _dossier(world, nominees: int):
    return wf.dossier_start(
        actor=world.user("proposer-HCCB"),
        organization=world.org("HCCB"),
        award_form=world.form("BK-TTG"),
        year=2024,
        title=f"{nominees} tập thể",
        nominees=[
            {"kind": "collective", "name": f"Chi hội số {i}", "organization": "HCCB"}
            for i in range(nominees)
        ],
    )


def _queries(dossier) -> int:
    with CaptureQueriesContext(connection) as context:
        checks.refresh([dossier], stage="intake")
    return len(context.captured_queries)


def test_refreshing_a_dossiers_checks_does_not_query_per_nominee(world):
    few, many = _dossier(world, 2), _dossier(world, 20)
    # The same on SQLite and PostgreSQL: the nominees with their registry facts and claims,
    # the dossier's documents (this form's rules read them) and the overrides of the failed
    # checks; results unchanged are not written again.
    assert _queries(many) == _queries(few) == 3


def _registry_world(world):
    """A person and a collective with history entries (one revoked, one sudden, one awarded
    in this system) and restrictions (one open, one closed), named in a draft and in a dossier
    at intake (a claim)."""
    import datetime

    from demo.world import person
    from dossiers.models import (
        Collective,
        EntrySource,
        HistoryEntry,
        Person,
        Restriction,
        TitleKind,
    )

    individual = person("Nguyễn Thị Sổ", "HCCB", year=2024, criterion="73.1.b")
    row = Person.objects.get(identity=individual["identity"])
    group = Collective.objects.create(name="Phòng Sổ", organization=world.org("HCCB"))
    kind = TitleKind.objects.get(code="CSTD-CS")
    HistoryEntry.objects.create(
        person=row, kind=kind, year=2015, source=EntrySource.RECORDED,
        awarded_on=datetime.date(2016, 1, 5), revoked_on=datetime.date(2017, 3, 1),
    )  # fmt: skip
    HistoryEntry.objects.create(
        person=row, kind=kind, year=2015, sudden=True, source=EntrySource.RECORDED
    )
    HistoryEntry.objects.create(collective=group, kind=kind, year=2020, source=EntrySource.RECORDED)
    Restriction.objects.create(
        person=row, kind="discipline", opened_on=datetime.date(2019, 1, 1),
        closed_on=datetime.date(2019, 6, 30),
    )  # fmt: skip
    Restriction.objects.create(person=row, kind="complaint", opened_on=datetime.date(2024, 2, 1))
    Restriction.objects.create(collective=group, kind="press", opened_on=datetime.date(2023, 5, 1))
    nominees = [
        individual,
        {"kind": "collective", "name": "Phòng Sổ", "organization": "HCCB"},
    ]
    dossiers = [
        wf.dossier_start(
            actor=world.user("proposer-HCCB"),
            organization=world.org("HCCB"),
            award_form=world.form("BK-TTG"),
            year=2024,
            title=title,
            nominees=nominees,
        )
        for title in ("Hồ sơ nháp", "Hồ sơ đang tiếp nhận")
    ]
    Dossier.objects.filter(pk=dossiers[1].pk).update(state="intake")
    return dossiers[0], row, group


def _expected(row, group):
    """The facts as the rules read them, straight from the tables."""
    from dossiers.eligibility import Entry, Restriction

    def entries(rows):
        return [
            (e.nominee_id, Entry(kind=e.kind.code, year=e.year, category=e.kind.category,
                                 sudden=e.sudden, revoked=e.revoked_on is not None,
                                 awarded_on=e.awarded_on))
            for e in rows.select_related("kind").order_by("year", "id")
        ]  # fmt: skip

    def matters(rows):
        return [
            Restriction(kind=r.kind, opened_on=r.opened_on, closed_on=r.closed_on)
            for r in rows.order_by("-opened_on", "id")
        ]

    return {
        ("p", row.pk): (entries(row.entries.all()), matters(row.restrictions.all())),
        ("c", group.pk): (
            entries(group.entries.filter(person=None)),
            matters(group.restrictions.filter(person=None)),
        ),
    }


def _claims_expected(keys):
    from dossiers.models import Nominee

    found = {}
    for key in keys:
        field = "person_id" if key[0] == "p" else "collective_id"
        rows = (
            Nominee.objects.filter(**{field: key[1]}, outcome__in=checks.LIVE_OUTCOMES)
            .exclude(dossier__state__in=checks.GONE_STATES)
            .select_related("dossier__award_form")
            .order_by("id")
        )
        found[key] = [checks.Claimant.of(n) for n in rows]
    return found


def test_the_registry_read_with_the_nominees_is_the_registrys(world):
    """The facts read as JSON with the nominees (`live_nominees`), and with the people and
    collectives for nominees not saved yet, are the rows of the tables, in their order."""
    from dossiers.models import Nominee

    draft, row, group = _registry_world(world)
    expected = _expected(row, group)
    claims = _claims_expected(expected)
    assert all(claims.values())  # the dossier at intake claims both
    live = checks.live_nominees([draft])
    unsaved = [
        Nominee(dossier=draft, kind=n.kind, name=n.name, person=n.person, collective=n.collective)
        for n in live
    ]
    for (histories, restrictions), found in (
        checks._holders(live),
        checks._holders(unsaved),
    ):
        assert {key: (histories[key], restrictions[key]) for key in expected} == expected
        assert {key: sorted(found[key], key=lambda c: c.pk) for key in expected} == claims


def test_the_rules_read_the_registry_in_the_nominees_query(world):
    """A refresh: the nominees with their facts and claims, then nothing more from the registry's
    tables (no query per nominee, no second query for the facts)."""
    draft, _row, _group = _registry_world(world)
    with CaptureQueriesContext(connection) as context:
        checks.refresh([draft], stage="intake")
    sql = [q["sql"] for q in context.captured_queries]
    registry = [s for s in sql if '"dossiers_historyentry"' in s or '"dossiers_restriction"' in s]
    assert len(registry) == 1 and registry[0].startswith('SELECT "dossiers_nominee".'), sql


def _nominee_rows_touched(plan: dict) -> int:
    """The most rows any scan of the nominees' table in `plan` (EXPLAIN ANALYZE, JSON) returned
    or filtered away."""
    most = 0
    if plan.get("Relation Name") == "dossiers_nominee":
        returned = plan.get("Actual Rows", 0) * plan.get("Actual Loops", 1)
        removed = plan.get("Rows Removed by Filter", 0) + plan.get(
            "Rows Removed by Index Recheck", 0
        )
        most = returned + removed
    for child in plan.get("Plans", []):
        most = max(most, _nominee_rows_touched(child))
    return most


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_the_rules_read_touches_the_dossiers_nominees_not_the_table(world):
    """The nominees and their claims are read through indexes (the dossier's, then the people's
    and the collectives'): an unrelated dossier's 300 live nominees are never read, however large
    the table grows (an OR of the three conditions read every live nominee of the table)."""
    import json

    from dossiers.models import Nominee

    draft, _row, _group = _registry_world(world)
    other = _dossier(world, 1)
    Nominee.objects.bulk_create(
        Nominee(dossier=other, kind="collective", name=f"Tổ {i}", organization=world.org("HCCB"))
        for i in range(300)
    )
    statements = []

    def keep(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        found = checks.live_nominees([draft])
    assert len(found) == 2 and found.claims  # the draft's two, claimed by the dossier at intake
    [(sql, params)] = statements
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a table this small is read whole
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        [[explained]] = cursor.fetchall()
    plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]
    assert _nominee_rows_touched(plan) < 20, json.dumps(plan, indent=1)
