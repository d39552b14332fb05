"""Benchmark: a national year of award dossiers at `--scale S`, driven through the whole route by
the services the API calls, from several processes; and, in the same run, the lifecycle
benchmark's time per transition to compare it with.

What the year is (levels, volumes, nominees per dossier, how often a dossier is returned,
rejected, withdrawn, commented, consulted, voted down) is said in demo/year.py. In short, at
S=1: 34 provinces and 30 ministries; 103,600 state-level nominees in about 1,900 decisions of
the PM and the President, beside 13,000 own nominees a year per province and 6,500 per
ministry (about 740,000 nominees); a dossier carries 12 nominees on average for the PM's
certificate, 6 for a Labour Order, 30 for a province's or a minister's certificate, 12 for
excellent collectives, 8 for fighters and 2 for flags (about 41,800 dossiers).

It writes into the configured database (after `migrate`, with or without `seed_demo`): the
year's organisations have codes starting with "Y", its users names starting with "y-", so the
demo world is left as it is; needs DEBUG or --force, as seed_demo does. Each province or
ministry is one task of a pool of processes (fork: each child opens its own connection, the
parent's are closed first); SQLite takes one writer at a time, so there the levels run one
after the other in this process. The decision's PDF and its signatures are left out unless
--documents, as in bench_workflow.

Prints, among the lines that say how the run went, exactly one
`year: <nominees> nominees, <decisions> decisions, <dossiers> dossiers in <s> s; <r> dossiers/s`
and `per transition: year <ms> ms, lifecycle <ms> ms; ratio <x>`, where a transition is a
ledger event of a dossier (as bench_workflow counts them) and the year's time is the sum of
each process's time on its levels; then `cpu: <s> s in the processes …, <ms> ms a nominee`,
their own CPU time (on a shared machine the wall clock counts the others' work too)."""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections, transaction
from django.db.models import Max

from approvals.models import Decision, DecisionState
from audit.models import LedgerEvent, LedgerHead
from demo import year
from demo.management.commands.bench_workflow import (
    bench_form,
    documents_left_out,
    lifecycle,
    measure,
    transitions_per_lifecycle,
    unlogged,
)
from dossiers.models import Dossier, Nominee, Person


def _drive(level: year.LevelPlan) -> tuple[str, float, year.Profile]:
    """One level in a pool's process: (its code, seconds, where they went)."""
    start = time.perf_counter()
    profile = year.drive_level(level)
    return level.code, time.perf_counter() - start, profile


class Command(BaseCommand):
    help = "Drive a national year at --scale S through the whole route; print its throughput."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=0.02)
        parser.add_argument(
            "--processes",
            type=int,
            default=os.cpu_count() or 2,
            help="Processes driving levels at once (PostgreSQL; SQLite uses one).",
        )
        parser.add_argument(
            "--lifecycle", type=int, default=20, help="Dossiers of the lifecycle benchmark."
        )
        parser.add_argument("--seed", type=int, default=2023, help="Seed of the year's plan.")
        parser.add_argument(
            "--documents", action="store_true", help="Produce each signed decision's PDF too."
        )
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args, scale: float, processes: int, lifecycle: int, seed: int,
               documents: bool, force: bool, **options):  # fmt: skip
        if not settings.DEBUG and not force:
            raise CommandError("bench_year refuses to run unless DEBUG is on or --force is given.")
        if scale <= 0 or lifecycle < 1 or processes < 1:
            raise CommandError("--scale, --lifecycle and --processes must be positive.")
        if connection.vendor == "sqlite" and processes > 1:
            self.stdout.write("note: SQLite takes one writer at a time: one process drives it")
            processes = 1
        write = self.stdout.write
        with documents_left_out(not documents):
            started = time.perf_counter()
            plan = self.world(scale, seed)
            units = sum(len(level.units) for level in plan)
            write(
                f"database: {connection.vendor}; scale: {scale:g}; processes: {processes}; "
                f"documents: {'produced' if documents else 'left out (--documents)'}"
            )
            write(
                f"world: {sum(lv.kind == 'province' for lv in plan)} provinces, "
                f"{sum(lv.kind == 'ministry' for lv in plan)} ministries, {units} units "
                f"in {time.perf_counter() - started:.1f} s"
            )
            life_ms = self.lifecycle(lifecycle)
            first_dossier = Dossier.objects.aggregate(m=Max("pk"))["m"] or 0
            first_decision = Decision.objects.aggregate(m=Max("pk"))["m"] or 0
            started = time.perf_counter()
            with unlogged():  # no query log, as in production (the processes fork inside)
                busy, profile = self.drive(plan, processes)
            seconds = time.perf_counter() - started
        dossiers = year.year_dossiers(first_dossier)
        count = dossiers.count()
        nominees = Nominee.objects.filter(dossier__in=dossiers).count()
        decisions = Decision.objects.filter(
            pk__gt=first_decision, state=DecisionState.SIGNED, entries__dossier__in=dossiers
        ).distinct()
        events = LedgerEvent.objects.filter(dossier__in=dossiers).count()
        self.profile(profile, busy)
        write(
            f"year: {nominees} nominees, {decisions.count()} decisions, {count} dossiers "
            f"in {seconds:.1f} s; {count / seconds:.2f} dossiers/s"
        )
        year_ms = busy * 1000 / max(events, 1)
        write(
            f"per transition: year {year_ms:.1f} ms, lifecycle {life_ms:.1f} ms; "
            f"ratio {year_ms / life_ms:.1f}"
        )
        write(
            f"cpu: {profile.cpu:.1f} s in the processes (the database server's apart), "
            f"{profile.cpu * 1000 / max(nominees, 1):.1f} ms a nominee"
        )

    def world(self, scale: float, seed: int) -> list[year.LevelPlan]:
        """The year's plan and its organisations and people (idempotent), made before the
        clock starts. A person's CCCD and a collective's name are new in every run."""
        head = LedgerHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0
        plan = year.year_plan(scale, seed=seed, run=head, first_person=Person.objects.count())
        with transaction.atomic():
            year.build_central()
        for level in plan:
            with transaction.atomic():
                year.build_level(level)
        return plan

    def lifecycle(self, dossiers: int) -> float:
        """bench_workflow's lifecycle, measured here by its own code: ms per transition."""
        cast, form = year.LifecycleCast(), bench_form()
        offset = 100_000 + (Dossier.objects.aggregate(m=Max("pk"))["m"] or 0)
        measure(lifecycle, cast, form, 3, offset)  # warm-up (numbers offset … offset + 5)
        ms, queries = measure(lifecycle, cast, form, dossiers, offset + 6)
        transitions = transitions_per_lifecycle()
        self.stdout.write(
            f"lifecycle (bench_workflow's, {dossiers} dossiers): {ms:.1f} ms, "
            f"{queries:.0f} queries, {transitions:g} transitions a dossier"
        )
        return ms / transitions

    def drive(self, plan: list[year.LevelPlan], processes: int) -> tuple[float, year.Profile]:
        """Every level, largest first, in a pool of `processes` (forked after the parent's
        connections are closed), or one after the other here."""
        profile, busy = year.Profile(), 0.0
        order = sorted(plan, key=lambda level: -level.nominees)
        if processes == 1:
            results = map(_drive, order)
        else:
            connections.close_all()
            context = multiprocessing.get_context("fork")
            pool = ProcessPoolExecutor(max_workers=processes, mp_context=context)
            with pool:
                results = list(pool.map(_drive, order))
        for _code, seconds, part in results:
            busy += seconds
            profile.merge(part)
        return busy, profile

    def profile(self, profile: year.Profile, busy: float) -> None:
        """Where the processes' time went, by step of the route."""
        self.stdout.write(f"profile: {busy:.1f} s in the processes")
        for step, seconds in sorted(profile.seconds.items(), key=lambda kv: -kv[1]):
            calls, queries = profile.calls[step], profile.queries[step]
            self.stdout.write(
                f"  {step:<16} {seconds:8.1f} s {100 * seconds / busy:5.1f} %  {calls:7d} calls "
                f"{1000 * seconds / calls:7.1f} ms {queries / calls:6.1f} queries each"
            )
