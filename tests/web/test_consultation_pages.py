"""The consulted bodies in the browser: their requests on the home page and the page where they
answer one (the API's selector and service), by persona: the body asked answers, another body
that sees the dossier gets 403, anyone who does not see it 404."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from audit.models import LedgerEvent
from consultations import errors as consultation_errors
from consultations.models import Consultation
from demo.world import demo_pdf
from dossiers.errors import REASON_REQUIRED
from dossiers.models import Person
from tests.signin import signin
from tests.workflows.helpers import act, create, upload_required
from web.consultations import CHOOSE_ANSWER

pytestmark = pytest.mark.django_db

# demo/world.py consulted_dossiers: the PM's certificate at appraisal waits for both bodies.
OPEN_TITLE = "[demo] Bằng khen TTg — đang thẩm định (MTTQ)"
REASON = "Đơn vị còn nợ đóng bảo hiểm xã hội 3 tháng năm 2023"


def _client(username: str) -> Client:
    client = Client()
    assert signin(client, username), username
    return client


def _request(body: str, title: str = OPEN_TITLE) -> Consultation:
    return Consultation.objects.select_related("dossier").get(
        dossier__title=title, body__code=body, answered_at__isnull=True
    )


def _section(html: str, section_id: str) -> str:
    found = re.search(rf'<section[^>]*id="{section_id}".*?</section>', html, re.S)
    return found.group(0) if found else ""


def _personal_data(dossier) -> list[str]:
    """The nominees' CCCD and birth dates, in the forms a page could print them."""
    found = []
    for person in Person.objects.filter(nominations__dossier=dossier):
        found.append(person.identity)
        if person.birth_date:
            found += [person.birth_date.strftime("%d/%m/%Y"), person.birth_date.isoformat()]
    return found


def test_consulted_body_sees_its_open_request_on_home():
    bhxh, thue = _request("HY-BHXH"), _request("HY-THUE")
    dossier = bhxh.dossier
    html = _client("consult-BHXH").get("/en/").content.decode()
    section = _section(html, "consultations")
    row = re.search(rf'<tr id="request-{bhxh.pk}".*?</tr>', section, re.S).group(0)
    assert f'href="/en/consultations/{bhxh.pk}/"' in row
    assert dossier.reference in row and dossier.award_form.name in row
    for nominee in dossier.nominees.all():
        assert nominee.name in row
    assert bhxh.due_date.strftime("%d/%m/%Y") in row
    assert "Overdue" not in row  # due in the future
    assert "1 consultation request waits for your answer" in html
    # Its answered requests are listed below, with the answer; THUE's request is not listed.
    answered = re.search(r'<table[^>]*id="consultations-answered".*?</table>', section, re.S)
    assert answered and "Agreed" in answered.group(0)
    assert f"request-{thue.pk}" not in html
    # A consulted body moves no dossier: no empty "waiting" list, no "new dossier".
    assert 'id="waiting"' not in html and "New dossier" not in html
    for value in _personal_data(dossier):
        assert value not in html
    # Others have no such section.
    assert 'id="consultations"' not in _client("board-officer").get("/en/").content.decode()


def test_overdue_request_is_marked_on_home_and_page():
    bhxh = _request("HY-BHXH")
    later = datetime.datetime.combine(bhxh.due_date, datetime.time(10)) + datetime.timedelta(days=3)
    with time_machine.travel(later.replace(tzinfo=datetime.UTC), tick=True):
        client = _client("consult-BHXH")
        row = re.search(
            rf'<tr id="request-{bhxh.pk}".*?</tr>', client.get("/en/").content.decode(), re.S
        ).group(0)
        assert 'class="late"' in row and "Overdue" in row
        page = client.get(f"/en/consultations/{bhxh.pk}/").content.decode()
    assert "Overdue" in page and 'id="answer-form"' in page  # a late answer is still taken


def test_consult_bhxh_answers_disagree_with_a_reason_and_a_pdf():
    bhxh = _request("HY-BHXH")
    dossier = bhxh.dossier
    url = f"/en/consultations/{bhxh.pk}/"
    client = _client("consult-BHXH")
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="answer-form"' in html and 'enctype="multipart/form-data"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert dossier.reference in html and dossier.award_form.name in html
    assert bhxh.due_date.strftime("%d/%m/%Y") in html
    for value in _personal_data(dossier):
        assert value not in html
    # No answer chosen; then a disagreement without its reason: the service refuses.
    missing = client.post(url, {"reason": ""})
    assert missing.status_code == 400 and str(CHOOSE_ANSWER) in missing.content.decode()
    no_reason = client.post(url, {"agree": "no", "reason": "  "})
    assert no_reason.status_code == 400
    assert no_reason.context["form"].errors["reason"] == [str(REASON_REQUIRED)]
    # A document that is not a PDF is refused on its field.
    not_pdf = client.post(url, {"agree": "no", "reason": REASON, "document": _text_file("thu.txt")})
    assert not_pdf.status_code == 400 and "document" in not_pdf.context["form"].errors
    bhxh.refresh_from_db()
    assert bhxh.answered_at is None and bhxh.document is None
    # The answer, with the reply letter.
    done = client.post(url, {"agree": "no", "reason": REASON, "document": demo_pdf("hiep-y.pdf")})
    assert done.status_code == 302 and done["Location"] == url
    bhxh.refresh_from_db()
    assert (bhxh.agree, bhxh.reason, bhxh.answered_by.username) == (False, REASON, "consult-BHXH")
    assert bhxh.document.original_name == "hiep-y.pdf"
    assert bhxh.document.dossier_id == dossier.pk
    assert LedgerEvent.objects.filter(
        action="consultation.disagreed", object_id=str(dossier.pk)
    ).exists()
    after = client.get(url).content.decode()
    assert "Your answer is recorded" in after and 'id="answer-form"' not in after
    assert REASON in after and "hiep-y.pdf" in after
    # A second answer: the service refuses it, and the page says so.
    again = client.post(url, {"agree": "yes", "reason": ""})
    assert again.status_code == 409
    message = str(consultation_errors.ALREADY_ANSWERED) % {"body": "HY-BHXH"}
    assert message in again.content.decode()
    bhxh.refresh_from_db()
    assert bhxh.agree is False
    # The board's dossier page shows the answer, its reason and its letter.
    board = _client("board-officer").get(f"/en/dossiers/{dossier.pk}/").content.decode()
    row = re.search(rf'<tr id="consultation-{bhxh.pk}".*?</tr>', board, re.S).group(0)
    assert 'data-outcome="disagreed"' in row and "Disagreed" in row
    assert REASON in row and "hiep-y.pdf" in row
    assert f'href="/en/dossiers/{dossier.pk}/attachments/{bhxh.document_id}/"' in row
    # On the body's home page it is now among the answered ones.
    home = _client("consult-BHXH").get("/en/").content.decode()
    answered = re.search(r'<table[^>]*id="consultations-answered".*?</table>', home, re.S)
    assert f'id="request-{bhxh.pk}"' in answered.group(0)
    assert "0 consultation requests wait for your answer" in home


def test_refusals_are_in_vietnamese():
    bhxh = _request("HY-BHXH")
    client = _client("consult-BHXH")
    response = client.post(f"/consultations/{bhxh.pk}/", {"agree": "no", "reason": ""})
    assert response.status_code == 400
    assert response.headers["Content-Language"] == "vi"
    with translation.override("vi"):
        vietnamese = str(REASON_REQUIRED)
    with translation.override("en"):
        assert vietnamese != str(REASON_REQUIRED)
    assert vietnamese in response.content.decode()
    assert "Hạn trả lời" in response.content.decode()  # "Answer due"


def test_consult_thue_cannot_answer_bhxh_request():
    bhxh = _request("HY-BHXH")
    client = _client("consult-THUE")
    # It was asked about the same dossier, so it sees the dossier: 403, not 404.
    assert client.get(f"/en/dossiers/{bhxh.dossier_id}/").status_code == 200
    assert client.get(f"/en/consultations/{bhxh.pk}/").status_code == 403
    posted = client.post(f"/en/consultations/{bhxh.pk}/", {"agree": "yes", "reason": ""})
    assert posted.status_code == 403
    bhxh.refresh_from_db()
    assert bhxh.answered_at is None
    # Its own request on the same dossier it may answer.
    assert client.get(f"/en/consultations/{_request('HY-THUE').pk}/").status_code == 200


@pytest.mark.parametrize("username", ["proposer-HLHPN", "t-board-officer", "pm"])
def test_who_does_not_see_the_dossier_gets_404(username):
    bhxh = _request("HY-BHXH")
    client = _client(username)
    assert client.get(f"/en/consultations/{bhxh.pk}/").status_code == 404
    posted = client.post(f"/en/consultations/{bhxh.pk}/", {"agree": "yes", "reason": ""})
    assert posted.status_code == 404
    bhxh.refresh_from_db()
    assert bhxh.answered_at is None


def test_who_sees_the_dossier_but_does_not_answer_gets_403():
    bhxh = _request("HY-BHXH")
    for username in ("board-officer", "proposer-MTTQ", "inspector"):
        client = _client(username)
        assert client.get(f"/en/consultations/{bhxh.pk}/").status_code == 403, username
        posted = client.post(f"/en/consultations/{bhxh.pk}/", {"agree": "yes"})
        assert posted.status_code == 403, username
    assert _client("consult-BHXH").get("/en/consultations/999999999/").status_code == 404
    assert Client().get(f"/en/consultations/{bhxh.pk}/").status_code == 302  # sign in first


def test_the_answer_needs_the_csrf_token():
    bhxh = _request("HY-BHXH")
    client = _client("consult-BHXH")
    client.handler.enforce_csrf_checks = True
    url = f"/en/consultations/{bhxh.pk}/"
    client.get(url)
    refused = client.post(url, {"agree": "yes", "reason": ""})
    assert refused.status_code == 403
    bhxh.refresh_from_db()
    assert bhxh.answered_at is None
    token = client.cookies["csrftoken"].value
    done = client.post(url, {"agree": "yes", "reason": "", "csrfmiddlewaretoken": token})
    assert done.status_code == 302
    bhxh.refresh_from_db()
    assert bhxh.agree is True


def test_query_counts_do_not_grow_with_requests_or_nominees(api):
    client = _client("consult-BHXH")
    first = _request("HY-BHXH")
    assert first.dossier.nominees.count() == 1

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    home_before = count("/en/")
    page_one = count(f"/en/consultations/{first.pk}/")
    # A second request to the body, about a dossier with three nominees.
    names = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"]
    dossier = create(api, "TLDLD", "HCLD-3", [{"kind": "individual", "name": n} for n in names])
    upload_required(api, "TLDLD", dossier, ["to_trinh", "bao_cao_thanh_tich", "bien_ban_hoi_dong"])
    act(api, "head-TLDLD", dossier, "submit")
    act(api, "board-officer", dossier, "accept")
    asked = api("board-officer").post(
        f"/api/v1/dossiers/{dossier['id']}/consultations/",
        {"bodies": ["HY-BHXH"], "due_in_days": 5},
        format="json",
    )
    assert asked.status_code == 201, asked.json()
    second = asked.json()[0]["id"]
    html = client.get("/en/").content.decode()
    row = re.search(rf'<tr id="request-{second}".*?</tr>', html, re.S).group(0)
    assert all(name in row for name in names)
    assert "2 consultation requests wait for your answer" in html
    assert count("/en/") == home_before
    assert count(f"/en/consultations/{second}/") == page_one


def _text_file(name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, b"not a pdf at all\n", content_type="text/plain")
