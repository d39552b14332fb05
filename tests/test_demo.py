"""The demo world: idempotent, every persona signs in, real outcomes reproduced, inboxes full."""

import re

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.test import Client

from demo.world import STAFF, UNIT_CODES, seed_demo
from dossiers.models import Dossier, DossierState, Nominee
from tests.signin import signin

pytestmark = pytest.mark.django_db

PERSONAS = (
    ["admin"]
    + [name for name, _ in STAFF]
    + [f"{role}-{code}" for code in UNIT_CODES for role in ("proposer", "head", "voter")]
)


def _counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


def test_seed_demo_twice_changes_nothing():
    before = _counts()
    seed_demo()
    assert _counts() == before


def test_seed_demo_refuses_without_debug_or_force(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    call_command("seed_demo", "--force")


def test_personas_of_the_contract_exist_and_sign_in():
    assert len(PERSONAS) == 1 + 8 + 5 + 45  # admin, staff, council members, unit personas
    for username in PERSONAS:
        assert signin(Client(), username), username


def test_real_outcomes_are_reproduced():
    def outcome(org, form):
        return Nominee.objects.get(
            dossier__organization__code=org, dossier__award_form__code=form, dossier__year=2023,
            organization__code=org, kind="collective", dossier__state=DossierState.DECIDED,
        ).outcome  # fmt: skip

    assert outcome("HLHPN", "CO-TD-CP") == "awarded"
    assert outcome("HCCB", "BK-TTG") == "awarded"
    assert outcome("DOAN", "BK-TTG") == "awarded"
    assert outcome("T-HND", "CO-TD-TINH") == "awarded"
    assert outcome("T-LDLD", "BK-TINH") == "awarded"
    assert outcome("T-HCCB", "BK-TINH") == "awarded"
    flag = Dossier.objects.get(organization__code="HLHPN", award_form__code="CO-TD-CP")
    actors = [e.actor.username for e in flag.events.all()]
    assert actors[-5:] == ["voter-MTTQ", "board-officer", "board-head", "board-head", "pm"]
    assert flag.decisions.get().number == "301/QĐ-TTg"


def test_every_state_has_a_demo_dossier():
    states = set(Dossier.objects.values_list("state", flat=True))
    assert states == set(DossierState.values)


@pytest.mark.parametrize("username", PERSONAS)
def test_every_persona_has_a_non_empty_inbox(username):
    client = Client()
    signin(client, username)
    page = client.get("/").content.decode()
    waiting = int(re.search(r"\((\d+)\)</h2>", page).group(1))
    decisions = "/decisions/" in page and 'href="/decisions/' in page
    assert waiting > 0 or decisions, username
