"""Benchmark: a dossier's whole lifecycle through viewflow vs the same transitions as plain
model updates with history. Runs in a throwaway database of the configured backend.

Background tasks go to the broker as in production (the notifications' delivery runs on the
worker, not in the action), on a queue of the benchmark's own, emptied at the end; `--tasks
eager` runs them in place instead, as `make run` and the tests do."""

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from approvals import services as approval_services
from approvals.services import decision_signed
from audit import ledger
from audit.models import LedgerEvent
from demo.world import World, build_organisations, build_users
from dossiers.catalogue import upsert
from dossiers.models import AwardForm, Dossier, DossierState, Nominee, TitleKind
from notifications.tasks import deliver_event
from workflows import services as wf

S = DossierState
STEPS = ("create", "submit", "accept", "forward", "batch", "signature")
Steps = dict[str, list[int]]


def unlogged():
    """Inside, no query log is kept even where DEBUG is on (`make bench`, `bench_year` on the
    local settings), as in production: the benchmarks time the services as production runs
    them. (With the parameters bound by the server, `POSTGRESQL_OPTIONS`, Django's log composes
    each statement with its values on the client, a cost production does not pay.)"""
    return override_settings(DEBUG=False)


@contextmanager
def _step(steps: Steps | None, name: str) -> Iterator[None]:
    """Count the queries of one step into `steps[name]` (when given)."""
    if steps is None:
        yield
        return
    with CaptureQueriesContext(connection) as context:
        yield
    steps.setdefault(name, []).append(len(context.captured_queries))


def lifecycle(world: World, form: AwardForm, i: int, steps: Steps | None = None) -> None:
    """Create → submit → intake → appraisal → decision batch → signed.

    The proposer belongs to no bloc in 2021, so the PM's certificate skips the bloc vote: the
    benchmark measures the workflow engine, not nine members casting ballots. `steps`: each
    step's queries are added to it."""
    dossier = awaiting_decision(world, form, i, steps)
    with _step(steps, "batch"):
        decision = approval_services.decision_create(
            actor=world.user("board-head"), decider="TTG", dossier_ids=[dossier.pk]
        )
    with _step(steps, "signature"):
        approval_services.decision_sign(
            actor=world.user("pm"),
            decision=decision,
            number=f"{i}/QĐ-TTg-bench",
            signed_on=timezone.localdate(),
        )


def awaiting_decision(world: World, form: AwardForm, i: int, steps: Steps | None = None):
    """The lifecycle's first four steps: a dossier created, submitted, accepted and forwarded,
    waiting for the decider's batch (`i` names it and its collective)."""
    with _step(steps, "create"):
        dossier = wf.dossier_start(
            actor=world.user("proposer-HCCB"),
            organization=world.org("HCCB"),
            award_form=form,
            year=2021,
            title=f"Bench {i}",
            nominees=[{"kind": "collective", "name": f"Tập thể {i}", "organization": "HCCB"}],
        )
    for action, who in (
        ("submit", "head-HCCB"),
        ("accept", "board-officer"),
        ("forward", "board-head"),
    ):
        with _step(steps, action):
            wf.dossier_act(actor=world.user(who), dossier=dossier, action=action, payload={})
    return dossier


def baseline(world: World, form: AwardForm, i: int) -> None:
    """The same transitions as plain model updates with history and the audit ledger,
    no viewflow."""
    actor = world.user("board-officer")
    with transaction.atomic():
        dossier = Dossier(
            reference=f"BENCH-{i}", organization=world.org("HCCB"), award_form=form, year=2021,
            title=f"Baseline {i}", created_by=actor,
        )  # fmt: skip
        dossier._change_reason = "dossier.created"
        dossier.save()
        Nominee.objects.create(dossier=dossier, kind="collective", name=f"Tập thể {i}")
    steps = [
        S.INTAKE,
        S.APPRAISAL,
        S.AWAITING_DECISION,
        S.AWAITING_DECISION,
        S.DECIDED,
    ]
    for state in steps:
        with transaction.atomic():
            locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
            with ledger.recording(actor=actor, action=state, obj=locked, dossier=locked) as event:
                event.from_state, locked.state = locked.state, state
                locked._history_user, locked._change_reason = actor, f"dossier.{state}"
                locked.save(update_fields=["state", "updated_at"])
                event.to_state, event.version = state, locked.version


def measure(
    run: Callable[..., None], world, form, n: int, offset: int, *, steps: Steps | None = None
) -> tuple[float, float]:
    """The median time of `n` runs timed as production runs them (no query log, `unlogged`),
    and the median queries of `n` runs more, counted by Django's query log as the figures have
    always been (each statement, and each transaction's BEGIN and COMMIT), each step's into
    `steps` when given. The runs take the numbers offset … offset + 2n - 1."""
    times, queries = [], []
    with unlogged():
        for i in range(n):
            start = time.perf_counter()
            run(world, form, offset + i)
            times.append((time.perf_counter() - start) * 1000)
    counted = run if steps is None else partial(run, steps=steps)
    for i in range(n, 2 * n):
        connection.queries_log.clear()  # the log keeps 9,000 queries; counts must not wrap
        with CaptureQueriesContext(connection) as context:
            counted(world, form, offset + i)
        queries.append(len(context.captured_queries))
    return statistics.median(times), statistics.median(queries)


def summary(ms: float, queries: float, base_ms: float, base_queries: float) -> str:
    """The last line, fixed so runs can be compared over time."""
    return (
        f"lifecycle: {ms:.1f} ms, {queries:.0f} queries; baseline: {base_ms:.1f} ms, "
        f"{base_queries:.0f} queries; ratio {ms / base_ms:.1f}"
    )


def per_step(steps: Steps) -> str:
    """The median queries of each step of the lifecycle, on a line of their own."""
    return "per step: " + ", ".join(
        f"{name} {statistics.median(steps[name]):g}" for name in STEPS if name in steps
    )


@contextmanager
def tasks_to_broker(queue_suffix: str = ".bench") -> Iterator[str]:
    """Inside, tasks are sent to the broker as production sends them (not run in place), on a
    queue of their own next to the configured one (`CELERY_QUEUE` + suffix), emptied at the end;
    yields the queue's name. CommandError when no broker answers."""
    app = deliver_event.app
    conf = app.conf
    queue = f"{conf.task_default_queue}{queue_suffix}"
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:
        raise CommandError(
            f"no broker answers at {conf.broker_url!r} ({exc}): start Redis, set "
            "CELERY_BROKER_URL, or measure with --tasks eager"
        ) from exc
    saved = conf.task_always_eager, conf.task_default_queue
    conf.task_always_eager, conf.task_default_queue = False, queue
    try:
        yield f"sent to the broker (queue {queue}, emptied after)"
    finally:
        conf.task_always_eager, conf.task_default_queue = saved
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)


def transitions_per_lifecycle() -> float:
    """Actions the ledger recorded per benchmarked dossier: its creation and each move the
    engine drove (the decision batch included, which leaves the state as it is)."""
    dossiers = Dossier.objects.filter(reference__startswith="BENCH-").values("pk")
    bench = Dossier.objects.exclude(pk__in=dossiers).filter(award_form__code="BENCH")
    moves = LedgerEvent.objects.filter(dossier__in=bench)
    return moves.count() / max(bench.count(), 1)


def bench_form() -> AwardForm:
    """The PM's certificate without required documents (uploads are not the workflow); its
    other eligibility rules run at each step, as they do for a real dossier."""
    source = AwardForm.objects.get(code="BK-TTG")
    values = {
        f.name: getattr(source, f.name)
        for f in AwardForm._meta.concrete_fields
        if f.name not in ("id", "code")
    }
    values["eligibility"] = {k: v for k, v in source.eligibility.items() if k != "documents"}
    kind = TitleKind.objects.get(code="BK-TTG")
    same = {"name": kind.name, "name_en": kind.name_en, "category": kind.category}
    upsert(TitleKind, {"code": "BENCH"}, {**same, "for_collective": True})
    return upsert(AwardForm, {"code": "BENCH"}, values)


@contextmanager
def documents_left_out(left_out: bool = True) -> Iterator[None]:
    """Inside, a signed decision produces no PDF and no PAdES signatures (documents/): the
    benchmarks measure the workflow engine; tests/documents times the documents."""
    if not left_out:
        yield
        return
    decision_signed.disconnect(dispatch_uid="documents.produce")
    try:
        yield
    finally:
        from documents.services import on_decision_signed

        decision_signed.connect(on_decision_signed, dispatch_uid="documents.produce")


class Command(BaseCommand):
    help = "Measure ms and SQL queries per dossier lifecycle, viewflow vs a bare baseline."

    def add_arguments(self, parser):
        parser.add_argument("--dossiers", type=int, default=100)
        parser.add_argument(
            "--tasks",
            choices=("broker", "eager"),
            default="broker",
            help="broker (default): background tasks sent to the configured broker as in "
            "production, on a queue of the benchmark's own, emptied at the end; eager: run in "
            "place (as `make run` and the tests), their queries counted in the lifecycle.",
        )
        parser.add_argument(
            "--documents",
            action="store_true",
            help="Also produce the signed decision PDF at the signature (documents/): left out "
            "by default, the benchmark measures the workflow engine.",
        )

    def handle(self, *args, dossiers: int, documents: bool = False, tasks="broker", **options):
        with tasks_to_broker() if tasks == "broker" else _in_place() as where:
            self._run(dossiers, documents, where)

    def _run(self, dossiers: int, documents: bool, tasks: str) -> None:
        old_name = connection.settings_dict["NAME"]
        test_settings = connection.settings_dict.setdefault("TEST", {})
        if connection.vendor != "sqlite":
            test_settings["NAME"] = f"{old_name}_bench"
        else:
            test_settings["NAME"] = None  # in memory
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        with documents_left_out(not documents):
            try:
                build_organisations()
                build_users()
                form = bench_form()
                world = World()
                measure(lifecycle, world, form, 3, 10_000)  # warm-up
                measure(baseline, world, form, 3, 10_000)
                steps: Steps = {}
                ms, q = measure(lifecycle, world, form, dossiers, 0, steps=steps)
                base_ms, base_q = measure(baseline, world, form, dossiers, 0)
                transitions = transitions_per_lifecycle()
            finally:
                connection.creation.destroy_test_db(old_name, verbosity=0)
        self.stdout.write(f"database: {connection.vendor}; dossiers: {dossiers}")
        self.stdout.write(f"documents: {'produced' if documents else 'left out (--documents)'}")
        self.stdout.write(f"tasks: {tasks}")
        self.stdout.write(per_step(steps))
        self.stdout.write(f"transitions: {transitions:g}")
        self.stdout.write(summary(ms, q, base_ms, base_q))


@contextmanager
def _in_place() -> Iterator[str]:
    """Inside, tasks run in place (eager), as under `make run` and the tests."""
    conf = deliver_event.app.conf
    saved, conf.task_always_eager = conf.task_always_eager, True
    try:
        yield "run in place (eager)"
    finally:
        conf.task_always_eager = saved
