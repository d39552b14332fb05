"""The demo world: idempotent, every persona signs in, real outcomes reproduced, inboxes full."""

import re

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.names import full_name
from demo.world import (
    CONSULTED_STAFF,
    LEVEL_STAFF,
    LEVEL_UNIT_CODES,
    SECOND_OFFICERS,
    STAFF,
    UNIT_CODES,
    seed_demo,
)
from dossiers import levels
from dossiers.models import Dossier, DossierState, Nominee
from tests.signin import signin
from tests.workflows.helpers import act

pytestmark = pytest.mark.django_db

PERSONAS = (
    ["admin"]
    + [name for name, _ in STAFF]
    + [f"{role}-{code}" for code in UNIT_CODES for role in ("proposer", "head", "voter")]
)
# The second province's and the ministry's personas, and the first province's council
# (demo-data.md "More levels"). A ministry's units are in no bloc: their voters have no work.
LEVEL_PERSONAS = [name for name, _ in LEVEL_STAFF] + [
    f"{role}-{code}" for code in LEVEL_UNIT_CODES for role in ("proposer", "head", "voter")
]
LEVEL_AT_WORK = [name for name in LEVEL_PERSONAS if not name.startswith("voter-BTP-")]


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
    # secretaries, chairs, boards, council members; then the new units' personas
    assert len(LEVEL_PERSONAS) == 6 + 10 + 15
    seconds = [name for name, _ in SECOND_OFFICERS]
    assert seconds == [
        "board-officer-2", "t-board-officer-2", "t2-board-officer-2", "m-board-officer-2",
    ]  # fmt: skip
    for username in PERSONAS + LEVEL_PERSONAS + seconds:
        assert signin(Client(), username), username


def test_every_persona_has_a_vietnamese_full_name_of_its_own():
    """Pages, ledger rows and signatures name people, not sign-in names (accounts/names.py)."""
    seconds = [name for name, _ in SECOND_OFFICERS + CONSULTED_STAFF]
    users = {
        u.username: u for u in get_user_model().objects.filter(
            username__in=PERSONAS + LEVEL_PERSONAS + seconds
        )
    }  # fmt: skip
    assert len(users) == len(PERSONAS + LEVEL_PERSONAS + seconds)
    names = {username: full_name(user) for username, user in users.items()}
    assert all(u.first_name and u.last_name for u in users.values())
    assert len(set(names.values())) == len(names)  # no two personas share a name
    assert names["board-officer"] == "Nguyễn Thị Thu Hà"  # family name first
    assert all(re.fullmatch(r"[^\W\d_]+( [^\W\d_]+){2,3}", n) for n in names.values()), names


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
    assert actors[-8:] == [
        "voter-MTTQ", "board-officer",  # the bloc's vote, the board's acceptance
        "board-officer", "consult-BHXH", "consult-THUE",  # the consultation (Decree 98 Art. 31)
        "board-head", "board-head", "pm",  # forwarded, put in a batch, signed
    ]  # fmt: skip
    assert flag.decisions.get().number == "301/QĐ-TTg"


def test_every_state_has_a_demo_dossier():
    states = set(Dossier.objects.values_list("state", flat=True))
    assert states == set(DossierState.values)


def _work(username: str) -> dict[str, int]:
    """What the persona's inbox page lists: dossiers waiting, decisions to sign, ballots to vote
    on or manage (links to one decision or one ballot, not the menu's list)."""
    client = Client()
    assert signin(client, username), username
    page = client.get("/").content.decode()
    waiting = re.search(r'id="waiting">\s*<h2>[^<]*\((\d+)\)</h2>', page)  # none: inspector
    return {
        "dossiers": int(waiting.group(1)) if waiting else 0,
        "decisions": len(re.findall(r'href="/decisions/\d+/"', page)),
        "ballots": len(re.findall(r'href="/ballots/\d+/"', page)),
    }


# The central council's ballot is shown half cast: its first two members have voted and have
# nothing left to do.
VOTED = {"council-member-1", "council-member-2"}
# The inspector (and the administrator, who reads as one) acts on nothing: its home page offers
# a read-only overview, nothing "waiting for you" (tests/web/test_home_and_ballots.py).
READERS = {"inspector", "admin"}


@pytest.mark.parametrize("username", PERSONAS + LEVEL_AT_WORK)
def test_every_persona_has_a_non_empty_inbox(username):
    assert any(_work(username).values()) != (username in VOTED | READERS), username


def _at(title_part: str) -> Dossier:
    return Dossier.objects.get(title__contains=title_part)


@pytest.mark.parametrize(
    ("title", "state", "holder", "username", "kind"),
    [
        ("chờ Chủ tịch UBND tỉnh ký tờ trình (T-LDLD)", "awaiting_submission", "T-UBND",
         "t-chair", "dossiers"),
        ("Hội đồng tỉnh đang xét (T-HCCB)", "council_review", "T-UBND",
         "t-council-secretary", "ballots"),
        ("chờ tiếp nhận (T2-HND)", "intake", "T2-UBND", "t2-board-officer", "dossiers"),
        ("chờ ký (T2-HLHPN)", "awaiting_decision", "T2-UBND", "t2-chair", "decisions"),
        ("Lao động hạng Ba — Hội đồng tỉnh thứ hai xét (T2-LDLD)", "council_review", "T2-UBND",
         "t2-council-member-1", "ballots"),
        ("đang bỏ phiếu cụm (T2-LDLD)", "bloc_voting", "T2-UBND", "voter-T2-HLHPN", "ballots"),
        ("chờ Vụ TĐKT Bộ tiếp nhận (BTP-THADS)", "intake", "BTP", "m-board-officer", "dossiers"),
        ("Bằng khen Bộ trưởng — chờ tiếp nhận (BTP-TGPL)", "intake", "BTP", "m-board-officer",
         "dossiers"),
        ("Hội đồng Bộ xét (BTP-TGPL)", "council_review", "BTP", "m-council-secretary",
         "dossiers"),
        ("chờ Bộ trưởng ký (BTP-THADS)", "awaiting_decision", "BTP", "minister", "decisions"),
    ],
)  # fmt: skip
def test_level_dossiers_wait_at_their_level(title, state, holder, username, kind):
    dossier = _at(title)
    assert (dossier.state, levels.code_of(dossier.holder_id)) == (state, holder)
    assert _work(username)[kind] > 0, username


def test_province_chair_signs_the_submission_on_to_the_central_board(api):
    dossier = _at("chờ Chủ tịch UBND tỉnh ký tờ trình (T-LDLD)")
    kinds = set(dossier.attachments.values_list("kind__code", flat=True))
    assert {"bien_ban_khoi", "bien_ban_hoi_dong"} <= kinds  # the cluster's and council's minutes
    shown = api("t-chair").get(f"/api/v1/dossiers/{dossier.pk}/").json()
    assert shown["available_actions"] == ["sign_submission"]
    act(api, "t2-chair", dossier.pk, "sign_submission", expect=404)  # another province's head
    act(api, "t-board-officer", dossier.pk, "sign_submission", expect=403)
    signed = act(api, "t-chair", dossier.pk, "sign_submission")
    assert (signed["state"], signed["holder"]) == ("intake", "TTG")
    assert act(api, "board-officer", dossier.pk, "accept")["state"] == "appraisal"
