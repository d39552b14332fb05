"""A nominee's CCCD and birth date stay in the registry: never on the public notice (page and
API), on a ballot or its minutes, nor in a dossier's JSON (which names the registry entry by id)."""

import io

import pytest
from django.core.cache import cache
from django.test import Client
from pypdf import PdfReader
from rest_framework.test import APIClient

from dossiers.models import Nominee, Person
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
