"""The route of stages a dossier follows (dossiers.lifecycle.route), in the law's order
(domain.md §2.2): the proposer's level first, then the central one; the public notice held once,
except for heroes and national emulation fighters, posted again on the central board's portal."""

import pytest

from dossiers import lifecycle
from dossiers.models import AwardForm, Dossier, Organization

pytestmark = pytest.mark.django_db

PROVINCE = ["intake", "public_notice", "council_vote", "submission"]


def _route(form: str, unit: str) -> list[tuple[str, str]]:
    dossier = Dossier(
        award_form=AwardForm.objects.get(code=form),
        organization=Organization.objects.get(code=unit),
        year=2024,
    )
    return lifecycle.route(dossier, with_bloc=False)


@pytest.mark.parametrize(
    ("form", "central"),
    [
        ("HCLD-3", ["intake", "appraisal", "decision"]),  # notice held by the province only
        ("CSTD-TQ", ["intake", "public_notice", "council_vote", "appraisal", "decision"]),
        ("AHLD", ["intake", "public_notice", "council_vote", "appraisal", "decision"]),
    ],
)
def test_a_provincial_units_state_form_passes_its_province_then_the_centre(form, central):
    steps = _route(form, "T-HND")
    assert steps == [(s, "T-UBND") for s in PROVINCE] + [(s, "TTG") for s in central]


def test_a_central_units_hero_dossier_is_noticed_once_at_the_centre():
    steps = _route("AHLD", "HLHPN")
    assert [s for s, _ in steps].count("public_notice") == 1
    assert {authority for _, authority in steps} == {"TTG"}
