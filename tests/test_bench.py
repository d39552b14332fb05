"""The benchmark's own steps still run end to end (its timings are printed, never asserted)."""

import re

import pytest

from demo.management.commands.bench_workflow import (
    baseline,
    bench_form,
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
