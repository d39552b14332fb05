"""The benchmark's own steps still run end to end (its timings are printed, never asserted)."""

import re

import pytest

from demo.management.commands.bench_workflow import (
    baseline,
    bench_form,
    documents_left_out,
    lifecycle,
    measure,
    summary,
)
from demo.world import World
from dossiers.models import Dossier

pytestmark = pytest.mark.django_db


def test_bench_workflow_steps_run_and_print_the_fixed_line():
    world, form = World(), bench_form()
    ms, queries = measure(lifecycle, world, form, 2, 0)
    base_ms, base_queries = measure(baseline, world, form, 2, 0)
    assert set(Dossier.objects.filter(award_form=form).values_list("state", flat=True)) == {
        "decided"
    }
    line = summary(ms, queries, base_ms, base_queries)
    assert re.fullmatch(
        r"lifecycle: [\d.]+ ms, \d+ queries; baseline: [\d.]+ ms, \d+ queries; ratio [\d.]+", line
    )


def test_bench_counts_the_transitions_it_drives():
    """Creation, submit, accept, forward, the decision batch and the signature: 6 per dossier."""
    from demo.management.commands.bench_workflow import transitions_per_lifecycle

    world, form = World(), bench_form()
    measure(lifecycle, world, form, 2, 0)
    measure(baseline, world, form, 2, 0)
    assert transitions_per_lifecycle() == 6


# --- the year (bench_year) ------------------------------------------------------------------------

YEAR_LINE = re.compile(
    r"year: (\d+) nominees, (\d+) decisions, (\d+) dossiers in ([\d.]+) s; ([\d.]+) dossiers/s"
)


@pytest.mark.django_db(transaction=True)
def test_bench_year_prints_figures_the_database_agrees_with():
    """The smallest scale that still has every award form of the year: the printed figures are
    the database's, every dossier ended, and the ledger verifies. On PostgreSQL two processes
    drive it (forked), on SQLite one."""
    from io import StringIO

    from django.core.management import call_command

    from approvals.models import BallotSession, Decision, DecisionState
    from consultations.models import Consultation
    from demo.year import year_dossiers, year_plan
    from dossiers.lifecycle import TERMINAL
    from dossiers.models import Nominee

    out = StringIO()
    args = ["--scale", "0.0002", "--lifecycle", "2", "--processes", "2", "--force"]
    call_command("bench_year", *args, stdout=out)
    text = out.getvalue()
    lines = [line for line in text.splitlines() if line.startswith("year: ")]
    assert len(lines) == 1, text
    found = YEAR_LINE.fullmatch(lines[0])
    assert found, lines[0]
    nominees, decisions, dossiers = (int(found[i]) for i in (1, 2, 3))
    year = year_dossiers()
    assert dossiers == year.count() == sum(len(level.dossiers) for level in year_plan(0.0002))
    assert nominees == Nominee.objects.filter(dossier__in=year).count()
    assert nominees == sum(level.nominees for level in year_plan(0.0002))
    signed = Decision.objects.filter(state=DecisionState.SIGNED, entries__dossier__in=year)
    assert decisions == signed.distinct().count() > 0
    assert set(year.values_list("state", flat=True)) <= TERMINAL
    assert year.filter(state="decided").exists()
    voted = BallotSession.objects.filter(items__dossier__in=year, state="closed")
    assert {"bloc", "council"} <= set(voted.values_list("body", flat=True))
    assert Consultation.objects.filter(dossier__in=year, agree=True).exists()
    assert re.search(
        r"^per transition: year [\d.]+ ms, lifecycle [\d.]+ ms; ratio [\d.]+$", text, re.M
    )
    audit = StringIO()
    call_command("verify_audit", stdout=audit)
    assert audit.getvalue().startswith("intact:")


def test_the_year_driver_takes_every_path_through_the_services():
    """One province's year by hand: returned and resubmitted, commented under notice, consulted,
    rejected, withdrawn, voted by its bloc and its council, decided by its chair, the PM and the
    President (proposed by the PM); each step's queries do not grow with its nominees."""
    from approvals.models import Decision, DecisionState
    from audit.verify import verify
    from consultations.models import Consultation
    from demo.year import DossierPlan, build_central, build_level, drive_level, year_plan
    from dossiers.models import Person
    from notices.models import Comment

    level = year_plan(0.0002, run=1, first_person=Person.objects.count())[0]
    code = level.code
    level.dossiers = [
        DossierPlan("HCLD-3", 2, 0, fate="return", comments=2, batch=("CTN", 0)),
        DossierPlan("BK-TTG", 2, 1, fate="reject", comments=0, batch=("TTG", 0)),
        DossierPlan("BK-TTG", 1, 2, fate="award", comments=0, batch=("TTG", 0)),
        DossierPlan("BK-TINH", 1, 2, fate="withdraw", comments=0, batch=(code, 0)),
        DossierPlan("BK-TINH", 3, 3, fate="award", comments=0, batch=(code, 0)),
        DossierPlan("CSTD-TINH", 2, 0, fate="award", comments=0, batch=(code, 0)),
    ]
    build_central()
    build_level(level)
    profile = drive_level(level)

    made = list(Dossier.objects.filter(organization__code__startswith=code).order_by("pk"))
    states = [d.state for d in made]
    assert states == ["decided", "not_approved", "decided", "withdrawn", "decided", "decided"]
    notice, rejected, awarded = made[0], made[1], made[2]
    assert notice.version == 2  # returned, supplemented, resubmitted
    assert [c.handled_at is not None for c in Comment.objects.filter(dossier=notice)] == [1, 1]
    asked = Consultation.objects.filter(dossier__in=[notice, awarded])
    assert asked.count() == 4 and all(c.agree for c in asked)
    assert rejected.reason_code == "criteria_not_met"
    signed = Decision.objects.filter(
        state=DecisionState.SIGNED, entries__dossier__in=made
    ).distinct()
    assert sorted(signed.values_list("decider", flat=True)) == ["CTN", "TTG", code]
    assert signed.get(decider="CTN").proposal_number
    for step in ("submit", "accept", "forward", "close_notice", "sign_submission"):
        assert profile.queries[step] / profile.calls[step] <= 25, step
    assert verify().ok


def test_each_step_of_the_lifecycle_keeps_its_queries():
    """The queries of each step of bench_workflow's lifecycle (`make bench` prints them with
    tasks sent to the broker), on PostgreSQL: create 15, submit 10, accept 7, forward 9, batch
    8, signature 11: each history row written in its row's statement (audit.history), the
    creation's two events one INSERT, and so the batch's and the signature's, each with its
    outbox row in it (a CTE); the actor's roles read with the row the step locks, the registry's
    facts with the nominees. Two statements more than before session 11, each to keep work
    out of the ledger head's lock: the creation's new collective is inserted before the rules
    and its history row written after them (registry.Unrecorded), and the signature writes the
    changed checks before its first event, then the outcomes. On SQLite, which writes history
    rows and outbox rows in their own INSERT: create 17, submit 11, accept 8, forward 10, batch
    11, signature 16. Here one fewer
    each: the test is one transaction, whose ledger head is read once (each BEGIN and COMMIT a
    SAVEPOINT and its RELEASE), and no transaction commits, so no task is sent. A step that
    grows fails here; one that falls lowers its bound."""
    from django.db import connection

    world, form = World(), bench_form()
    steps: dict[str, list[int]] = {}
    with documents_left_out():  # as the benchmark measures it
        measure(lifecycle, world, form, 2, 0, steps=steps)
    last = {name: counts[-1] for name, counts in steps.items()}  # caches warm
    if connection.vendor == "postgresql":
        bounds = {"create": 14, "submit": 9, "accept": 6, "forward": 8, "batch": 7}
        bounds["signature"] = 10
    else:
        bounds = {"create": 16, "submit": 10, "accept": 7, "forward": 9, "batch": 10}
        bounds["signature"] = 15
    assert last == bounds, sorted(last.items())


def _statements(world, form) -> dict[str, list[str]]:
    """The SQL of each step of the benchmark's lifecycle (the second dossier's: caches warm)."""
    from contextlib import contextmanager

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from demo.management.commands import bench_workflow

    found: dict[str, list[str]] = {}

    @contextmanager
    def step(steps, name):
        with CaptureQueriesContext(connection) as context:
            yield
        found[name] = [query["sql"] for query in context.captured_queries]

    original = bench_workflow._step
    bench_workflow._step = step
    try:
        with documents_left_out():
            measure(lifecycle, world, form, 2, 0)
    finally:
        bench_workflow._step = original
    return found


def test_the_lifecycle_reads_its_security_and_registry_facts_with_other_rows():
    """Each cut, statement by statement: the actor's roles are read with the row the action
    locks (submit, accept, forward: the dossier; the signature: the batch), with the groups
    where the list of visible dossiers needs them (the batch); the registry's facts with the
    nominees (and, for a new dossier's nominees, with their claims: one query of the people and
    collectives). Only the creation, which locks no row, reads the roles alone. The forward reads
    the consultations after the lock, in a statement of their own (what the lock orders)."""
    found = _statements(World(), bench_form())

    def alone(sql: str, table: str) -> bool:
        return sql.lstrip("( ").startswith(f'SELECT "{table}".')

    for name, statements in found.items():
        roles_alone = [
            s for s in statements if alone(s, "dossiers_rolegrant") and "auth_user_groups" not in s
        ]
        assert len(roles_alone) == (1 if name == "create" else 0), name
        assert not [s for s in statements if alone(s, "auth_user_groups")], name
        reads = [s for s in statements if s.lstrip("( ").startswith("SELECT")]
        for sql in (s for s in reads if '"dossiers_historyentry"' in s):
            # as columns of the nominees' rows, or of the people's and collectives' rows
            holders = r'AS "r_claims" FROM "dossiers_(person|collective)"'
            assert alone(sql, "dossiers_nominee") or re.search(holders, sql), sql
    for name in ("submit", "accept", "forward"):
        (lock,) = [s for s in found[name] if alone(s, "dossiers_dossier")]
        assert '"dossiers_rolegrant"' in lock, name
    assert any('"dossiers_rolegrant"' in s and '"auth_user_groups"' in s for s in found["batch"])
    (lock,) = [s for s in found["signature"] if alone(s, "approvals_decisionentry")]
    assert '"dossiers_rolegrant"' in lock
    (lock,) = [s for s in found["forward"] if alone(s, "dossiers_dossier")]
    assert '"consultations_consultation"' not in lock
    assert [s for s in found["forward"] if alone(s, "consultations_consultation")]
    # A new dossier's nominees: their facts and claims in one statement, before their INSERT.
    reads = [s for s in found["create"] if alone(s, "dossiers_nominee")]
    assert not reads, reads


def test_a_decision_batch_of_three_dossiers_costs_what_one_costs():
    """A batch's entries, their history rows and its dossiers' `add_to_decision` events are
    written in one statement each, so a further dossier adds no query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from approvals import services as approval_services
    from demo.management.commands.bench_workflow import awaiting_decision

    world, form = World(), bench_form()

    def batch(ids: list[int]) -> int:
        with CaptureQueriesContext(connection) as context:
            approval_services.decision_create(
                actor=world.user("board-head"), decider="TTG", dossier_ids=ids
            )
        return len(context.captured_queries)

    ids = [awaiting_decision(world, form, i).pk for i in range(5)]
    batch(ids[:1])  # caches warm
    assert batch(ids[2:]) == batch(ids[1:2])
