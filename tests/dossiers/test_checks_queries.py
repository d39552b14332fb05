"""Running the eligibility rules on a dossier costs the same queries whatever its number of
nominees (a dossier of a unit's year carries dozens: bench_year)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dossiers import checks
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
    assert _queries(many) == _queries(few) <= 12
