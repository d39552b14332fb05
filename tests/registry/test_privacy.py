"""A nominee's CCCD and birth date stay in the registry: never on the public notice (page and
API), on a ballot or its minutes, nor in a dossier's JSON (which names the registry entry by id)."""

import io
import json

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pypdf import PdfReader
from rest_framework.test import APIClient

from audit.models import LedgerEvent
from dossiers.models import Dossier, Nominee, Person
from tests.signin import signin
from tests.workflows.helpers import act, ballot, create, individual, upload_required

pytestmark = pytest.mark.django_db


def _secrets(person: Person) -> list[str]:
    born = person.birth_date
    return [
        person.identity,
        born.isoformat(),
        born.strftime("%d/%m/%Y"),
        f"{born.day}/{born.month}/{born.year}",
    ]


def test_the_public_notice_shows_no_identity_or_birth_date():
    cache.clear()
    under_notice = Nominee.objects.filter(
        dossier__state="public_notice", person__isnull=False
    ).select_related("person")
    assert under_notice, "the demo world has an individual under public notice"
    page = Client().get("/public/notices/").content.decode()
    listed = APIClient().get("/api/v1/public/notices/").content.decode()
    for nominee in under_notice:
        assert nominee.name in page
        for secret in _secrets(nominee.person):
            assert secret not in page and secret not in listed


def test_ballots_minutes_and_dossier_json_show_no_identity_or_birth_date(api):
    nominee = individual("Võ Thị Kín", "HND", year=2024, form="BK-TTG")
    team = {"kind": "collective", "name": "Chi hội Kín", "organization": "HND"}  # the bloc's
    dossier = create(api, "HND", "BK-TTG", [nominee, team], year=2024)
    upload_required(api, "HND", dossier)
    submitted = act(api, "head-HND", dossier, "submit")
    person = Person.objects.get(identity=nominee["identity"])
    result = ballot(api, "voter-MTTQ", [submitted], year=2024)
    seen = [
        api("voter-HCCB").get(f"/api/v1/ballots/{result['id']}/").content.decode(),
        api("board-officer").get(f"/api/v1/dossiers/{dossier['id']}/").content.decode(),
        api("head-HND").get(f"/api/v1/dossiers/{dossier['id']}/").content.decode(),
    ]
    minutes = api("voter-MTTQ").get(f"/api/v1/ballots/{result['id']}/minutes/")
    pdf = b"".join(minutes.streaming_content)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Chi hội Kín" in text.replace("\n", " ")
    for shown in [*seen, text]:
        for secret in _secrets(person):
            assert secret not in shown


# --- naming a person by CCCD on a dossier (issue #13, the review's privacy gap) ---------------

YEAR = 2024


def _looked_up(person: Person) -> list[LedgerEvent]:
    return list(
        LedgerEvent.objects.filter(action="person.looked_up", object_id=str(person.pk)).order_by(
            "seq"
        )
    )


def _draft(api, org: str, nominee: dict, expect: int = 201):
    response = api(f"proposer-{org}").post(
        "/api/v1/dossiers/",
        {"award_form": "BK-TTG", "year": YEAR, "title": f"Thử {org}", "nominees": [nominee]},
        format="json",
    )
    assert response.status_code == expect, response.json()
    return response.json()


def test_naming_a_person_outside_ones_subtree_is_a_logged_rate_limited_look_up(api, settings):
    own = individual("Lê Thị Riêng", "MTTQ", year=YEAR, form="BK-TTG")
    person = Person.objects.get(identity=own["identity"])
    _draft(api, "MTTQ", own)  # the person's own organisation: nothing to log or count
    assert _looked_up(person) == []

    elsewhere = {**own, "organization": "HND"}
    other = _draft(api, "HND", elsewhere)
    assert other["nominees"][0]["person"] == person.pk  # still linked: the boards see both
    (event,) = _looked_up(person)
    assert event.actor_name == "proposer-HND"
    assert json.loads(event.body)["data"] == {"found": True, "shown": False, "via": "nominee"}
    assert own["identity"] not in event.body

    # Saving the dossier again with the same nominee is no new look-up.
    edited = api("proposer-HND").patch(
        f"/api/v1/dossiers/{other['id']}/", {"nominees": [elsewhere]}, format="json"
    )
    assert edited.status_code == 200, edited.json()
    assert len(_looked_up(person)) == 1

    # The same hourly limit as the registry's look-up: beyond it, 429 and nothing saved.
    settings.REGISTRY_LOOKUPS_PER_HOUR = 1
    before = Dossier.objects.filter(organization__code="HND").count()
    refused = _draft(api, "HND", elsewhere, expect=429)
    assert refused["code"] == "rate_limited"
    assert Dossier.objects.filter(organization__code="HND").count() == before
    assert len(_looked_up(person)) == 1


def test_a_nominee_list_naming_a_person_outside_the_subtree_counts_too(api, settings):
    own = individual("Trần Văn Danh Sách", "MTTQ", year=YEAR, form="BK-TTG")
    person = Person.objects.get(identity=own["identity"])
    draft = _draft(api, "HND", {"kind": "collective", "name": "Ban Thử", "organization": "HND"})
    header = "kind,name,identity,birth_date,sex,organization,criterion\n"
    row = f"cá nhân,{own['name']},{own['identity']},{own['birth_date']},female,HND,73.1.b\n"
    settings.REGISTRY_LOOKUPS_PER_HOUR = 1
    url = f"/api/v1/dossiers/{draft['id']}/nominees/import/"
    for expected in (200, 429):
        upload = SimpleUploadedFile("ds.csv", (header + row).encode(), content_type="text/csv")
        if expected == 429:  # a second dossier, so the person is not already on it
            draft = _draft(
                api, "HND", {"kind": "collective", "name": "Ban Hai", "organization": "HND"}
            )
            url = f"/api/v1/dossiers/{draft['id']}/nominees/import/"
        response = api("proposer-HND").post(url, {"file": upload}, format="multipart")
        assert response.status_code == expected, response.json()
    assert [json.loads(e.body)["data"]["via"] for e in _looked_up(person)] == ["nominee"]


def _checks(dossier: dict) -> list[dict]:
    return dossier["nominees"][0]["checks"]


def test_checks_hide_the_history_from_users_outside_the_persons_subtree(api):
    twice = individual("Phan Thị Kín Đáo", "MTTQ", year=YEAR, form="BK-TTG")
    first = _draft(api, "MTTQ", twice)
    upload_required(api, "MTTQ", first)
    act(api, "head-MTTQ", first, "submit")
    second = _draft(api, "HND", {**twice, "organization": "HND"})  # outside MTTQ's subtree
    upload_required(api, "HND", second)
    act(api, "head-HND", second, "submit")  # flagged, not refused: the boards decide
    years = [str(year) for year in range(YEAR - 6, YEAR)]  # the career's years (demo.world)

    told = api("proposer-HND").get(f"/api/v1/dossiers/{second['id']}/").json()
    board = api("board-officer").get(f"/api/v1/dossiers/{second['id']}/").json()
    # The outcomes are the same for both; the board reads the details, the proposer does not.
    assert [(c["rule"], c["outcome"]) for c in _checks(told)] == [
        (c["rule"], c["outcome"]) for c in _checks(board)
    ]
    by_rule = {c["rule"]: c for c in _checks(told)}
    assert by_rule["double_reward"]["outcome"] == "warning"
    assert first["reference"] in {c["rule"]: c for c in _checks(board)}["double_reward"]["message"]
    assert "pm_certificate" in by_rule and by_rule["pm_certificate"]["citation"]
    for check in _checks(told):
        assert first["reference"] not in check["message"]
        assert not any(year in check["message"] for year in years), check
    assert any(any(year in c["message"] for year in years) for c in _checks(board))
    # The answer to the creation was already told that way.
    assert all(first["reference"] not in c["message"] for c in _checks(second))

    # The person's own organisation reads them, the other dossier's reference included.
    mine = api("proposer-MTTQ").get(f"/api/v1/dossiers/{first['id']}/").json()
    assert second["reference"] in {c["rule"]: c for c in _checks(mine)}["double_reward"]["message"]

    # The dossier page says the same to the proposer.
    client = Client()
    assert signin(client, "proposer-HND")
    html = client.get(f"/dossiers/{second['id']}/").content.decode()
    assert 'data-rule="double_reward"' in html and first["reference"] not in html


def test_a_blocking_failure_at_submit_is_told_without_the_history(api):
    nominee = individual("Vũ Văn Chưa Đủ", "MTTQ", year=2023, career=False)
    create(api, "MTTQ", "CSTD-TQ", [nominee], year=2023)  # registers the person in MTTQ
    dossier = create(api, "HND", "CSTD-TQ", [{**nominee, "organization": "HND"}], year=2023)
    upload_required(api, "HND", dossier)
    refused = api("head-HND").post(
        f"/api/v1/dossiers/{dossier['id']}/actions/submit/", {}, format="json"
    )
    assert refused.status_code == 409 and refused.json()["code"] == "eligibility_failed"
    (failed,) = refused.json()["checks"]
    assert (failed["rule"], failed["outcome"], failed["blocking"]) == (
        "national_fighter", "fail", True,
    )  # fmt: skip
    assert "Điều 21" in failed["citation"]
    stored = Nominee.objects.get(dossier_id=dossier["id"]).checks  # as the boards read them
    detail = {c["rule"]: c for c in stored}["national_fighter"]["message"]
    assert failed["message"] != detail  # the board reads what is missing, the unit does not
    assert detail not in refused.json()["detail"]
    assert failed["message"] in refused.json()["detail"]


def test_a_birth_date_contradicting_the_registry_fails_the_identity_check(api):
    own = individual("Đặng Thị Ngày Sinh", "HND", year=YEAR, form="BK-TTG")
    person = Person.objects.get(identity=own["identity"])
    stored = person.birth_date
    other_day = stored.replace(day=1 if stored.day != 1 else 2).isoformat()
    wrong = _draft(api, "HND", {**own, "birth_date": other_day})
    identity = [c for c in _checks(wrong) if c["rule"] == "identity"]
    assert [(c["outcome"], c["blocking"], c["overridable"]) for c in identity] == [
        ("fail", True, False)
    ]
    assert (
        other_day not in identity[0]["message"] and stored.isoformat() not in identity[0]["message"]
    )
    person.refresh_from_db()
    assert person.birth_date == stored  # not overwritten
    upload_required(api, "HND", wrong)
    refused = api("head-HND").post(
        f"/api/v1/dossiers/{wrong['id']}/actions/submit/", {}, format="json"
    )
    assert refused.status_code == 409
    assert [c["rule"] for c in refused.json()["checks"]] == ["identity"]

    right = _draft(api, "HND", own)
    assert not [c for c in _checks(right) if c["rule"] == "identity"]
    # Corrected on the dossier, the check passes.
    fixed = api("proposer-HND").patch(
        f"/api/v1/dossiers/{wrong['id']}/", {"nominees": [own]}, format="json"
    )
    assert fixed.status_code == 200, fixed.json()
    assert not [c for c in _checks(fixed.json()) if c["rule"] == "identity"]
