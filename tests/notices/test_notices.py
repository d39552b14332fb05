"""Public notice of nominees and the public's comments, over HTTP: the page and the API without
sign-in (and without personal data), the comment form's limits, the board's queue, and closing
the notice only once every comment is handled."""

import datetime
import hashlib
import re

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from audit.models import LedgerEvent
from audit.verify import verify
from dossiers.models import Dossier, Nominee, Organization
from notices.models import Comment
from tests.workflows.helpers import act, create, upload_required

START = datetime.datetime(2026, 9, 1, 9, tzinfo=datetime.UTC)
NOTICE_OVER = datetime.datetime(2026, 9, 16, 9, tzinfo=datetime.UTC)
LIST = "/api/v1/public/notices/"
PAGE = "/public/notices/"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def notice(api) -> dict:
    """An HCLD-3 dossier of TLDLD under public notice at the central level (due 16/9/2026)."""
    with time_machine.travel(START, tick=True):
        dossier = create(api, "TLDLD", "HCLD-3")
        upload_required(
            api, "TLDLD", dossier, ["to_trinh", "bao_cao_thanh_tich", "bien_ban_hoi_dong"]
        )
        act(api, "head-TLDLD", dossier, "submit")
        notice = act(api, "board-officer", dossier, "accept")
    assert notice["state"] == "public_notice"
    return notice


def _comment(nominee: int, text: str = "Xin góp ý", addr: str = "203.0.113.7", **extra):
    body = {"text": text, **extra}
    return APIClient(REMOTE_ADDR=addr).post(
        f"/api/v1/public/notices/{nominee}/comments/", body, format="json"
    )


def _nominee(notice: dict) -> int:
    return notice["nominees"][0]["id"]


def test_the_public_page_and_api_need_no_sign_in_and_show_no_personal_data(notice):
    nominee = _nominee(notice)
    answer = APIClient().get(LIST, {"page_size": 200})
    assert answer.status_code == 200
    body = answer.json()
    assert {"count", "next", "previous", "results"} <= set(body)
    entry = next(e for e in body["results"] if e["nominee"] == nominee)
    assert set(entry) == {
        "nominee", "name", "kind", "organization", "award_form", "level",
        "notice_from", "notice_until", "achievements",
    }  # fmt: skip
    assert entry["name"] == "Nguyễn Thị Thử" and entry["kind"] == "individual"
    assert entry["organization"] == Organization.objects.get(code="TLDLD").name
    assert entry["level"] == "Trung ương (Ban Thi đua - Khen thưởng Trung ương)"
    assert (entry["notice_from"], entry["notice_until"]) == ("2026-09-01", "2026-09-16")
    assert entry["achievements"] == "5 năm hoàn thành xuất sắc"

    notice_days = set()
    for item in body["results"]:
        for day in (item["notice_from"], item["notice_until"]):
            notice_days |= {day, datetime.date.fromisoformat(day).strftime("%d/%m/%Y")}
    page = Client().get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="vi" ' in html and "Nguyễn Thị Thử" in html
    assert 'class="hp"' in html and "style=" not in html  # the honeypot, hidden by the CSS
    for text in (answer.content.decode(), html):
        lowered = text.lower()
        for word in ("cccd", "cmnd", "birth", "ngày sinh", "proposer-", "head-", "board-"):
            assert word not in lowered, word
        assert not re.search(r"(?<!\d)\d{12}(?!\d)", text)  # no identification number
        for day in notice_days:  # the notice periods are the only dates shown
            text = text.replace(day, "")
        assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{4}\b", text)


def test_the_list_costs_the_same_queries_however_many_nominees(notice):
    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as context:
            assert Client().get(path).status_code == 200
        return len(context)

    before = (count(LIST), count(PAGE))
    dossier = Dossier.objects.get(pk=notice["id"])
    orgs = list(Organization.objects.filter(code__in=["TLDLD", "HND", "DOAN"]))
    for i, org in enumerate(orgs):
        Nominee.objects.create(dossier=dossier, kind="collective", name=f"Tập thể {i}",
                               organization=org, achievements="Thành tích")  # fmt: skip
    after = (count(LIST), count(PAGE))
    assert after == before
    assert len(APIClient().get(LIST, {"page_size": 200}).json()["results"]) >= 4


def test_comments_are_handled_by_the_board_before_the_notice_closes(api, notice):
    nominee = _nominee(notice)
    with time_machine.travel(START + datetime.timedelta(days=2), tick=True):
        first = _comment(nominee, "Đề nghị xem xét lại thành tích", contact="a@example.org")
        assert first.status_code == 201 and first.json()["nominee"] == nominee
        second = _comment(nominee, "<script>alert(1)</script>", addr="198.51.100.9")
        assert second.status_code == 201
    comments = list(Comment.objects.filter(dossier_id=notice["id"]).order_by("id"))
    assert [c.text for c in comments] == [
        "Đề nghị xem xét lại thành tích",
        "<script>alert(1)</script>",
    ]
    assert comments[0].client_hash and "203.0.113.7" not in comments[0].client_hash
    events = LedgerEvent.objects.filter(dossier_id=notice["id"], action="notice.comment")
    assert events.count() == 2 and all(e.actor_id is None for e in events)
    assert comments[0].history.count() == 1

    url = f"/api/v1/dossiers/{notice['id']}/comments/"
    assert api("proposer-HLHPN").get(url).status_code == 404  # an outsider
    queue = api("board-officer").get(url)
    assert queue.status_code == 200
    assert [c["text"] for c in queue.json()] == [c.text for c in comments]
    assert queue.json()[0]["handled_at"] is None

    handle = "/api/v1/comments/{}/handle/"
    first_id, second_id = comments[0].pk, comments[1].pk
    note = {"note": "Đã xác minh, không có căn cứ"}
    refused = api("proposer-TLDLD").post(handle.format(first_id), note, format="json")
    assert refused.status_code == 403  # sees the dossier, is not its board
    other_board = api("t-board-officer").post(handle.format(first_id), note, format="json")
    assert other_board.status_code == 403
    no_note = api("board-officer").post(handle.format(first_id), {"note": ""}, format="json")
    assert no_note.status_code == 400
    assert api("board-officer").post(handle.format(999999), note, format="json").status_code == 404
    handled = api("board-officer").post(handle.format(first_id), note, format="json")
    assert handled.status_code == 200, handled.json()
    assert handled.json()["handled_by"] == "board-officer" and handled.json()["note"]
    again = api("board-head").post(handle.format(first_id), note, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "already_handled")

    with time_machine.travel(NOTICE_OVER, tick=True):
        refused = act(api, "board-officer", notice, "close_notice", expect=409)
        assert refused["code"] == "comments_open" and "1" in refused["detail"]
        assert Dossier.objects.get(pk=notice["id"]).state == "public_notice"
        assert (
            api("board-head").post(handle.format(second_id), note, format="json").status_code == 200
        )
        assert act(api, "board-officer", notice, "close_notice")["state"] == "appraisal"
    # Once the notice is closed, the nominee is no longer listed nor open to comments.
    listed = APIClient().get(LIST, {"page_size": 200}).json()["results"]
    assert nominee not in [e["nominee"] for e in listed]
    assert _comment(nominee).status_code == 404
    assert verify().ok


def test_bad_input_and_the_honeypot(notice):
    nominee = _nominee(notice)
    for body in ({"text": ""}, {"text": "   "}, {"text": "x" * 2001},
                 {"text": "ok", "contact": "c" * 201}, {"text": "a\x00b"}, {}):  # fmt: skip
        answer = APIClient().post(
            f"/api/v1/public/notices/{nominee}/comments/", body, format="json"
        )
        assert answer.status_code == 400, body
        assert answer.json()["code"]
    assert _comment(nominee, "x" * 2000, contact="c" * 200).status_code == 201
    robot = _comment(nominee, "Mua ngay!", addr="192.0.2.50", website="http://spam.example")
    assert robot.status_code == 201  # answered as a success, nothing kept
    assert not Comment.objects.filter(text="Mua ngay!").exists()
    draft = create_draft_nominee()
    assert _comment(draft).status_code == 404  # not under notice
    assert _comment(999999999).status_code == 404


def create_draft_nominee() -> int:
    nominee = Nominee.objects.exclude(dossier__state="public_notice").order_by("id").first()
    return nominee.pk


def test_a_flood_from_one_address_is_refused(notice):
    nominee = _nominee(notice)
    for i in range(5):
        assert _comment(nominee, f"Góp ý {i}", addr="203.0.113.99").status_code == 201
    flood = _comment(nominee, "Góp ý 6", addr="203.0.113.99")
    assert flood.status_code == 429
    assert flood.json()["code"] == "rate_limited" and "5" in flood.json()["detail"]
    assert _comment(nominee, "Người khác", addr="203.0.113.100").status_code == 201
    assert Comment.objects.filter(dossier_id=notice["id"]).count() == 6


def test_the_html_form_works_for_anonymous_visitors_with_csrf(notice):
    nominee = _nominee(notice)
    browser = Client(enforce_csrf_checks=True, REMOTE_ADDR="203.0.113.20")
    assert browser.get(PAGE).status_code == 200
    token = browser.cookies["csrftoken"].value
    form = {"csrfmiddlewaretoken": token, "nominee": nominee, "contact": ""}
    sent = browser.post(PAGE, {**form, "text": "Ý kiến qua trang"})
    assert sent.status_code == 302
    assert Comment.objects.filter(text="Ý kiến qua trang", nominee_id=nominee).exists()
    assert Client(enforce_csrf_checks=True).post(PAGE, form).status_code == 403  # no token

    bad = browser.post(PAGE, {**form, "text": "<script>alert(1)</script>", "contact": "c" * 201})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert browser.post(PAGE, {**form, "text": ""}).status_code == 400
    assert browser.post(PAGE, {**form, "nominee": 999999999, "text": "x"}).status_code == 404
    for i in range(4):
        browser.post(PAGE, {**form, "text": f"Lần {i}"})
    flood = browser.post(PAGE, {**form, "text": "Quá nhiều"})
    assert flood.status_code == 429
    assert not Comment.objects.filter(text="Quá nhiều").exists()


def test_a_comment_keeps_no_client_address_only_its_keyed_hash(notice, settings):
    """Neither the comment nor its ledger event nor its history keeps the sender's address: a
    salted HMAC keyed with SECRET_KEY stands in for it (the same for the same address, so the
    rate limit and abuse tracing still work)."""
    from notices.services import client_hash

    nominee = _nominee(notice)
    by_api = "203.0.113.55"
    assert _comment(nominee, "Góp ý qua API", addr=by_api).status_code == 201
    by_page = "198.51.100.56"
    browser = Client(REMOTE_ADDR=by_page)
    sent = browser.post(PAGE, {"nominee": nominee, "text": "Góp ý qua trang", "contact": ""})
    assert sent.status_code == 302
    for text, address in (("Góp ý qua API", by_api), ("Góp ý qua trang", by_page)):
        comment = Comment.objects.get(text=text)
        hashed = client_hash(address)
        assert comment.client_hash == hashed and address not in hashed
        stored = [str(v) for v in Comment.objects.filter(pk=comment.pk).values().get().values()]
        history = [str(v) for row in comment.history.values() for v in row.values()]
        assert not any(address in value for value in stored + history)
        event = LedgerEvent.objects.get(action="notice.comment", object_id=str(comment.pk))
        assert event.client_ip == hashed
        assert address not in event.body and address not in event.client_ip
    # Keyed: not a bare digest of the address, and another key gives another value.
    assert client_hash(by_api) not in {
        hashlib.sha1(by_api.encode()).hexdigest(),
        hashlib.sha256(by_api.encode()).hexdigest(),
    }
    assert client_hash(by_api) == client_hash(by_api)
    settings.SECRET_KEY = "another-key-" + "x" * 50
    assert client_hash(by_api) != Comment.objects.get(text="Góp ý qua API").client_hash
    assert verify().ok


def test_the_ledger_still_keeps_the_address_of_signed_in_acts(api, notice):
    """Only the public's comments are hashed: a board member's act keeps its address."""
    comment = _comment(_nominee(notice), "Cần xác minh").json()
    assert comment["nominee"]
    pk = Comment.objects.get(text="Cần xác minh").pk
    client = api("board-officer")
    client.defaults["REMOTE_ADDR"] = "192.0.2.33"
    handled = client.post(f"/api/v1/comments/{pk}/handle/", {"note": "Đã xử lý"}, format="json")
    assert handled.status_code == 200
    event = LedgerEvent.objects.get(action="notice.comment_handle", object_id=str(pk))
    assert event.client_ip == "192.0.2.33"
