"""The board's section of the dossier page: the consultation requests with their answers and due
dates, the public comments, and the form that marks a comment handled (the API's service, the
board only, CSRF-protected)."""

import datetime
import re

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from audit.models import LedgerEvent
from audit.verify import verify
from notices.models import Comment
from tests.signin import signin
from tests.workflows.helpers import act, create, upload_required

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 9, 1, 9, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def work(api, pdf) -> dict:
    """A Labour Order (TLDLD) under public notice at the central board, with two comments; both
    bodies asked during the notice, one answered with its reply letter, the other waiting."""
    with time_machine.travel(START, tick=True):
        dossier = create(api, "TLDLD", "HCLD-3")
        upload_required(
            api, "TLDLD", dossier, ["to_trinh", "bao_cao_thanh_tich", "bien_ban_hoi_dong"]
        )
        act(api, "head-TLDLD", dossier, "submit")
        assert act(api, "board-officer", dossier, "accept")["state"] == "public_notice"
        nominee = dossier["nominees"][0]["id"]
        for text, address in (
            ("Đề nghị làm rõ thành tích năm 2024", "203.0.113.61"),
            ("<script>alert(1)</script>", "203.0.113.62"),
        ):
            sent = APIClient(REMOTE_ADDR=address).post(
                f"/api/v1/public/notices/{nominee}/comments/",
                {"text": text, "contact": "0912 345 678"},
                format="json",
            )
            assert sent.status_code == 201, sent.json()
        asked = api("board-officer").post(
            f"/api/v1/dossiers/{dossier['id']}/consultations/",
            {"bodies": ["HY-BHXH", "HY-THUE"], "due_in_days": 10},
            format="json",
        )
        assert asked.status_code == 201, asked.json()
        bhxh, thue = asked.json()
        answered = api("consult-BHXH").post(
            f"/api/v1/consultations/{bhxh['id']}/answer/",
            {"agree": "true", "reason": "Không nợ BHXH", "document": pdf("hiep-y.pdf")},
            format="multipart",
        )
        assert answered.status_code == 200, answered.json()
    comments = list(Comment.objects.filter(dossier_id=dossier["id"]).order_by("id"))
    return {
        "dossier": dossier,
        "bhxh": answered.json(),
        "thue": thue,
        "comments": comments,
        "page": f"/dossiers/{dossier['id']}/",
    }


def _browser(username: str) -> Client:
    client = Client()
    assert signin(client, username), username
    return client


def _handle_url(work: dict, comment: Comment) -> str:
    return f"{work['page']}comments/{comment.pk}/handle/"


def test_the_board_sees_requests_answers_deadlines_and_comments(work):
    with time_machine.travel(START + datetime.timedelta(days=2), tick=True):  # before it is due
        page = _browser("board-officer").get(work["page"])
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="board-work"' in html
    bhxh, thue = work["bhxh"], work["thue"]
    assert f'id="consultation-{bhxh["id"]}" data-outcome="agreed"' in html
    assert f'id="consultation-{thue["id"]}" data-outcome="pending"' in html
    due = datetime.date.fromisoformat(thue["due_date"]).strftime("%d/%m/%Y")
    assert due in html and "Không nợ BHXH" in html
    # The reply letter links to the dossier's document download (checked per object).
    letter = f'href="{work["page"]}attachments/{bhxh["document"]["id"]}/"'
    assert letter in html and "hiep-y.pdf" in html
    for comment in work["comments"]:
        assert f'id="comment-{comment.pk}" data-handled="no"' in html
        assert f'action="{_handle_url(work, comment)}"' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "0912 345 678" in html  # the board may reach the sender
    assert html.count('name="csrfmiddlewaretoken"') >= len(work["comments"])


def test_the_board_marks_a_comment_handled_with_a_note_and_csrf(work):
    first, second = work["comments"]
    browser = _browser("board-officer")
    browser.handler.enforce_csrf_checks = True
    browser.get(work["page"])
    token = browser.cookies["csrftoken"].value
    refused = browser.post(_handle_url(work, first), {"note": "Không có token"})
    assert refused.status_code == 403
    no_note = browser.post(_handle_url(work, first), {"csrfmiddlewaretoken": token, "note": " "})
    assert no_note.status_code == 302
    first.refresh_from_db()
    assert first.handled_at is None
    done = browser.post(
        _handle_url(work, first),
        {"csrfmiddlewaretoken": token, "note": "Đã xác minh với đơn vị, không có căn cứ"},
    )
    assert done.status_code == 302 and done["Location"].endswith("#board-work")
    first.refresh_from_db()
    assert (first.handled_by.username, first.note) == (
        "board-officer", "Đã xác minh với đơn vị, không có căn cứ",
    )  # fmt: skip
    event = LedgerEvent.objects.get(action="notice.comment_handle", object_id=str(first.pk))
    assert event.actor.username == "board-officer"
    # Once handled: no second handling, the note stays.
    again = browser.post(
        _handle_url(work, first), {"csrfmiddlewaretoken": token, "note": "Lần hai"}
    )
    assert again.status_code == 302
    first.refresh_from_db()
    assert first.note.startswith("Đã xác minh")
    html = browser.get(work["page"]).content.decode()
    assert f'id="comment-{first.pk}" data-handled="yes"' in html
    assert f'id="comment-{second.pk}" data-handled="no"' in html
    assert f'action="{_handle_url(work, first)}"' not in html
    assert verify().ok


def test_a_proposer_sees_the_section_but_may_not_handle_a_comment(work):
    comment = work["comments"][0]
    proposer = _browser("proposer-TLDLD")
    html = proposer.get(work["page"]).content.decode()
    assert f'id="comment-{comment.pk}"' in html
    assert "/handle/" not in html  # no form
    assert "0912 345 678" not in html  # nor the sender's contact
    assert proposer.post(_handle_url(work, comment), {"note": "Tự xử lý"}).status_code == 403
    comment.refresh_from_db()
    assert comment.handled_at is None and comment.note == ""
    # Another level's board: the dossier is not its to see.
    other = _browser("t-board-officer")
    assert other.get(work["page"]).status_code == 404
    assert other.post(_handle_url(work, comment), {"note": "x"}).status_code == 404
    # A comment of another dossier is not reached through this one.
    elsewhere = Comment.objects.exclude(dossier_id=work["dossier"]["id"]).first()
    if elsewhere is not None:
        url = f"{work['page']}comments/{elsewhere.pk}/handle/"
        assert _browser("board-officer").post(url, {"note": "x"}).status_code == 404
    assert Client().post(_handle_url(work, comment), {"note": "x"}).status_code == 302  # sign in


def test_a_dossier_without_consultation_or_comments_offers_only_the_request(work):
    from dossiers.models import Dossier

    plain = Dossier.objects.get(title="[demo] Bằng khen tỉnh — đang thẩm định (T-MTTQ)")
    html = _browser("t-board-officer").get(f"/dossiers/{plain.pk}/").content.decode()
    assert 'id="consultation-request"' in html  # the board may consult any body it wants
    assert 'class="consultations"' not in html and 'id="consultation-missing"' not in html
    # The unit that proposed it sees no board section at all.
    html = _browser("proposer-T-MTTQ").get(f"/dossiers/{plain.pk}/").content.decode()
    assert 'id="board-work"' not in html
    required = Dossier.objects.get(title="[demo] Bằng khen TTg — chờ tiếp nhận (VUFO)")
    html = _browser("board-officer").get(f"/dossiers/{required.pk}/").content.decode()
    missing = re.search(r'id="consultation-missing">(.*?)</p>', html, re.S)
    assert missing and "Bảo hiểm xã hội Việt Nam" in missing.group(1)
    assert "Cục Thuế" in missing.group(1) and "HY-" not in missing.group(1)


def _page_request(client: Client, dossier_id: int, data: dict):
    return client.post(f"/en/dossiers/{dossier_id}/consultations/new/", data)


def test_board_asks_for_consultation_on_the_dossier_page(api):
    """The board holding the dossier asks from the page (the form ticks the bodies the award form
    requires); others get 403, a bad due date is refused with a message and nothing is sent."""
    dossier = create(api, "TLDLD", "HCLD-3")
    upload_required(api, "TLDLD", dossier, ["to_trinh", "bao_cao_thanh_tich", "bien_ban_hoi_dong"])
    act(api, "head-TLDLD", dossier, "submit")
    act(api, "board-officer", dossier, "accept")
    officer = Client()
    assert signin(officer, "board-officer")
    html = officer.get(f"/en/dossiers/{dossier['id']}/").content.decode()
    form = re.search(r'<form[^>]*id="consultation-request".*?</form>', html, re.S).group(0)
    for code in ("HY-BHXH", "HY-THUE"):  # HCLD-3 requires both: ticked
        assert re.search(rf'value="{code}"[^>]*checked', form), code
    # Someone who sees the dossier but is not of its board: no form, and 403 on a post.
    unit = Client()
    assert signin(unit, "head-TLDLD")
    assert (
        'id="consultation-request"'
        not in unit.get(f"/en/dossiers/{dossier['id']}/").content.decode()
    )
    assert (
        _page_request(unit, dossier["id"], {"bodies": ["HY-BHXH"], "due_in_days": 5}).status_code
        == 403
    )
    # A due date out of range: a message, nothing sent.
    refused = _page_request(officer, dossier["id"], {"bodies": ["HY-BHXH"], "due_in_days": 0})
    assert refused.status_code == 302
    page = officer.get(f"/en/dossiers/{dossier['id']}/").content.decode()
    assert "greater than or equal to 1" in page
    assert not LedgerEvent.objects.filter(
        action="consultation.requested", dossier_id=dossier["id"]
    ).exists()
    # The request itself: both bodies asked, one ledger event, the missing line gone.
    sent = _page_request(
        officer, dossier["id"], {"bodies": ["HY-BHXH", "HY-THUE"], "due_in_days": 7}
    )
    assert sent.status_code == 302
    page = officer.get(f"/en/dossiers/{dossier['id']}/").content.decode()
    assert "The request is sent to" in page and 'id="consultation-missing"' not in page
    assert page.count('data-outcome="pending"') == 2
    assert (
        LedgerEvent.objects.filter(
            action="consultation.requested", dossier_id=dossier["id"]
        ).count()
        == 1
    )
    # Asked again while open: refused with the service's message, nothing more sent.
    again = _page_request(officer, dossier["id"], {"bodies": ["HY-BHXH"], "due_in_days": 7})
    assert again.status_code == 302
    assert (
        LedgerEvent.objects.filter(
            action="consultation.requested", dossier_id=dossier["id"]
        ).count()
        == 1
    )
    assert verify().ok
