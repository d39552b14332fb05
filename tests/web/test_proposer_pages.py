"""The proposing unit finishes its work in the browser (issue 14, item 2): its officer creates a
dossier with several nominees, reads the award form's required documents (attached, missing),
edits the title and the nominees and replaces or removes documents while the unit holds the
dossier; its head answers a return point by point and sends the dossier again, or withdraws it,
each after a confirmation page. Django's test client on the demo world; then the same journey
in headless Chromium, by clicks and keystrokes."""

from __future__ import annotations

import json
import re
import shutil
import uuid
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.html import escape

from accounts.names import full_name
from audit.models import LedgerEvent
from demo.world import World, act, demo_pdf, person, start
from dossiers import errors
from dossiers import services as dossier_services
from dossiers.models import (
    Attachment,
    AwardForm,
    DocumentKind,
    Dossier,
    DossierState,
    Nominee,
    NomineeOutcome,
)
from tests.browser import ensure_browser
from tests.signin import signin
from tests.workflows.helpers import individual
from web import proposer
from web.templatetags.filesize import file_size
from workflows import services as wf

pytestmark = pytest.mark.django_db

UNIT = "VHNT"
OFFICER, HEAD = f"proposer-{UNIT}", f"head-{UNIT}"
DRAFT = f"[demo] Dự thảo đề nghị khen thưởng ({UNIT})"
RETURNED = f"[demo] Bằng khen TTg — trả lại bổ sung ({UNIT})"
RETURN_REASON = "Thiếu xác nhận của cấp trình về báo cáo thành tích"
FIELDS = [*proposer.NOMINEE_FIELDS.values()]


def _client(world: World, username: str) -> Client:
    """Signed in through the sign-in page (the board's head gives its authenticator code)."""
    client = Client()
    assert signin(client, username)
    return client


def _blocks(nominees: list[dict]) -> dict[str, list[str]]:
    """The nominees as the page's repeated blocks post them: one list per field name."""
    names = {value: key for key, value in proposer.NOMINEE_FIELDS.items()}
    return {field: [str(n.get(names[field], "") or "") for n in nominees] for field in FIELDS}


def _form(nominees: list[dict], **changes) -> dict:
    return {
        "award_form": "BK-TTG",
        "year": "2023",
        "title": "Đề nghị Bằng khen Thủ tướng — ba người",
        **_blocks(nominees),
        **changes,
    }


def _nominee_names(html: str) -> list[str]:
    """The name inputs of the nominee blocks on a page (not the blank block the script copies)."""
    form = html.split('<template id="nominee-template">')[0]
    return re.findall(r'name="nominee_name"[^>]*value="([^"]*)"', form)


def _checklist(html: str) -> dict[str, str]:
    return {kind: state for state, kind in re.findall(r'class="doc-(\w+)" data-kind="(\w+)"', html)}


def _events(dossier: Dossier, action: str) -> list[LedgerEvent]:
    return list(LedgerEvent.objects.filter(dossier_id=dossier.pk, action=action).order_by("seq"))


def _data(event: LedgerEvent) -> dict:
    return json.loads(event.body)["data"]


def _draft(world: World, title: str = "Hồ sơ thử của đơn vị", extra: list[dict] | None = None):
    """A BK-TTG draft of the unit with an individual (CCCD, a history that qualifies) and its
    required documents, made through the services as the officer would."""
    nominees = [person("Trần Thị Nhạc", UNIT, year=2023), *(extra or [])]
    return start(world, UNIT, "BK-TTG", title, nominees, 2023)


# --- create with several nominees ----------------------------------------------------------------


def test_proposer_creates_a_dossier_with_three_nominees(world):
    client = _client(world, OFFICER)
    page = client.get("/dossiers/new/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'src="/static/js/proposer.js"' in html and 'name="nominee_add"' in html
    nominees = [
        individual("Phạm Thu Hà", UNIT, form="BK-TTG", achievements="Tác phẩm đạt giải A"),
        individual("Lê Văn Đàn", UNIT, form="BK-TTG", sex="male"),
        {"kind": "collective", "name": "Ban Âm nhạc", "achievements": "Dẫn đầu phong trào"},
    ]
    response = client.post("/dossiers/new/", _form(nominees))
    assert response.status_code == 302, response.context and response.context["errors"]
    dossier = Dossier.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[1]))
    assert (dossier.organization.code, dossier.state) == (UNIT, DossierState.DRAFT)
    rows = list(dossier.nominees.select_related("person", "collective").order_by("id"))
    assert [(n.name, n.kind) for n in rows] == [
        ("Phạm Thu Hà", "individual"), ("Lê Văn Đàn", "individual"), ("Ban Âm nhạc", "collective")
    ]  # fmt: skip
    assert [n.person.identity for n in rows[:2]] == [
        nominees[0]["identity"],
        nominees[1]["identity"],
    ]
    assert rows[0].achievements == "Tác phẩm đạt giải A" and rows[0].criterion == "73.1.b"
    assert rows[2].collective.name == "Ban Âm nhạc" and rows[2].person is None
    assert {n.organization.code for n in rows} == {UNIT}
    assert [e.action for e in LedgerEvent.objects.filter(dossier_id=dossier.pk)] == ["create"]


def test_add_and_remove_a_nominee_block_without_javascript(world):
    """ "Add a nominee" and "Remove" post the form back with the values typed; nothing is saved."""
    client = _client(world, OFFICER)
    before = Dossier.objects.count()
    first = {"kind": "collective", "name": "Ban Văn học"}
    added = client.post("/dossiers/new/", {**_form([first]), "nominee_add": "1"})
    assert added.status_code == 200
    assert _nominee_names(added.content.decode()) == ["Ban Văn học", ""]
    assert len(added.context["nominees"]) == 2
    second = {"kind": "collective", "name": "Ban Mỹ thuật"}
    dropped = client.post("/dossiers/new/", {**_form([first, second]), "nominee_drop": "0"})
    assert dropped.status_code == 200
    assert _nominee_names(dropped.content.decode()) == ["Ban Mỹ thuật"]
    assert Dossier.objects.count() == before


def test_a_bad_nominee_is_named_in_its_own_block_and_nothing_is_stored(world):
    client = _client(world, OFFICER)
    good = individual("Phạm Thu Hà", UNIT, form="BK-TTG")
    bad = {**individual("Lê Văn Đàn", UNIT, form="BK-TTG"), "identity": "00118500001"}
    before = Dossier.objects.count()
    response = client.post("/dossiers/new/", _form([good, bad]))
    assert response.status_code == 400
    blocks = response.context["nominees"]
    assert blocks[0]["errors"] == {} and blocks[1]["errors"].get("nominee_identity")
    for message in blocks[1]["errors"]["nominee_identity"]:
        assert escape(message) in response.content.decode()
    assert _nominee_names(response.content.decode()) == ["Phạm Thu Hà", "Lê Văn Đàn"]  # kept
    assert Dossier.objects.count() == before


def test_the_create_page_lists_each_award_forms_required_documents(world):
    html = _client(world, OFFICER).get("/dossiers/new/").content.decode()
    form = AwardForm.objects.get(code="BK-TTG")
    block = re.search(r'data-form="BK-TTG"[^>]*>(.*?)</ul>', html, re.S)
    assert block, "the BK-TTG checklist"
    for kind in form.required_documents.all():
        assert escape(kind.name) in block.group(1)


# --- the checklist: attached, missing -----------------------------------------------------------


def test_the_checklist_shows_missing_and_attached_kinds(world):
    officer = world.user(OFFICER)
    dossier = wf.dossier_start(
        actor=officer, organization=world.org(UNIT), award_form=world.form("BK-TTG"),
        year=2023, title="Chưa đủ tài liệu",
        nominees=[{"kind": "collective", "name": "Ban Sân khấu", "organization": UNIT}],
    )  # fmt: skip
    client = _client(world, OFFICER)
    required = set(world.form("BK-TTG").required_documents.values_list("code", flat=True))
    assert required == {"to_trinh", "bao_cao_thanh_tich", "bien_ban_hoi_dong"}
    page = client.get(f"/dossiers/{dossier.pk}/documents/")
    assert page.status_code == 200
    assert _checklist(page.content.decode()) == dict.fromkeys(required, "missing")
    uploaded = client.post(
        f"/dossiers/{dossier.pk}/documents/", {"kind": "to_trinh", "file": demo_pdf("tt.pdf")}
    )
    assert uploaded.status_code == 302
    html = client.get(f"/dossiers/{dossier.pk}/documents/").content.decode()
    assert _checklist(html) == {
        "to_trinh": "attached", "bao_cao_thanh_tich": "missing", "bien_ban_hoi_dong": "missing"
    }  # fmt: skip
    # The same checklist at the top of the dossier page, and on the head's submit page, which
    # names what the submission would lack.
    assert _checklist(client.get(f"/dossiers/{dossier.pk}/").content.decode())["to_trinh"] == (
        "attached"
    )
    head = _client(world, HEAD)
    submit_page = head.get(f"/dossiers/{dossier.pk}/submit/").content.decode()
    assert _checklist(submit_page)["bien_ban_hoi_dong"] == "missing"
    refused = head.post(f"/dossiers/{dossier.pk}/submit/", {"request_key": uuid.uuid4().hex})
    assert refused.status_code == 400
    [problem] = refused.context["problems"]
    assert problem.startswith(str(errors.MISSING_DOCUMENTS).split("%(")[0])
    assert escape(problem) in refused.content.decode()
    assert Dossier.objects.get(pk=dossier.pk).state == DossierState.DRAFT


# --- edit while the unit holds the dossier ------------------------------------------------------


def test_proposer_edits_title_and_nominees_of_a_draft(world):
    dossier = _draft(world, extra=[{"kind": "collective", "name": "Ban Điện ảnh"}])
    client = _client(world, OFFICER)
    page = client.get(f"/dossiers/{dossier.pk}/edit/")
    assert page.status_code == 200
    html = page.content.decode()
    assert _nominee_names(html) == ["Trần Thị Nhạc", "Ban Điện ảnh"]
    identity = dossier.nominees.get(kind="individual").person.identity
    assert f'value="{identity}"' in html and f'value="{UNIT}"' in html  # the nominee's org kept
    kept = page.context["nominees"][0]["values"]
    nominees = [
        {**{k: kept[v] for k, v in proposer.NOMINEE_FIELDS.items()}, "achievements": "Mới"},
        {"kind": "collective", "name": "Ban Nhiếp ảnh"},
        {"kind": "collective", "name": "Ban Kiến trúc"},
    ]
    body = {"title": "Tiêu đề đã sửa", **_blocks(nominees), "nominee_org": [UNIT, "", ""]}
    saved = client.post(f"/dossiers/{dossier.pk}/edit/", body)
    assert saved.status_code == 302, saved.context and saved.context["errors"]
    dossier.refresh_from_db()
    assert dossier.title == "Tiêu đề đã sửa" and dossier.state == DossierState.DRAFT
    rows = list(dossier.nominees.order_by("id"))
    assert [n.name for n in rows] == ["Trần Thị Nhạc", "Ban Nhiếp ảnh", "Ban Kiến trúc"]
    assert rows[0].person.identity == identity and rows[0].achievements == "Mới"
    assert {n.organization.code for n in rows} == {UNIT}
    update = _events(dossier, "update")[-1]
    assert update.actor_name == OFFICER and _data(update) == {"changed": ["title", "nominees"]}


def test_a_returned_dossier_keeps_its_voted_nominee_when_edited(world):
    """After a return, the nominee the bloc voted on keeps its row (its ballot item names it):
    the unit changes its details and adds a nominee; taking the voted one off is refused (409)
    with a message, and nothing changes."""
    dossier = Dossier.objects.get(title=RETURNED)
    [voted] = dossier.nominees.all()
    assert voted.ballot_items.exists()
    client = _client(world, OFFICER)
    page = client.get(f"/dossiers/{dossier.pk}/edit/")
    assert page.status_code == 200
    kept = {**page.context["nominees"][0]["values"], "achievements": "Bổ sung xác nhận"}
    names = {value: key for key, value in proposer.NOMINEE_FIELDS.items()}
    first = {names[k]: v for k, v in kept.items() if k in names}
    body = {
        "title": dossier.title,
        **_blocks([first, {"kind": "collective", "name": "Ban Múa"}]),
        "nominee_org": [kept["nominee_org"], ""],
    }
    assert client.post(f"/dossiers/{dossier.pk}/edit/", body).status_code == 302
    rows = list(dossier.nominees.order_by("id"))
    assert rows[0].pk == voted.pk and rows[0].achievements == "Bổ sung xác nhận"
    assert [n.name for n in rows] == [voted.name, "Ban Múa"]
    alone = {"title": dossier.title, **_blocks([{"kind": "collective", "name": "Ban Múa"}])}
    refused = client.post(f"/dossiers/{dossier.pk}/edit/", {**alone, "nominee_org": [""]})
    assert refused.status_code == 409
    message = dossier_services.NOMINEE_IN_USE % {"name": voted.name}
    assert refused.context["errors"] == {"form": [str(message)]}
    assert escape(str(message)) in refused.content.decode()
    assert dossier.nominees.count() == 2


def test_the_edit_page_refuses_what_the_api_refuses(world):
    dossier = _draft(world)
    client = _client(world, OFFICER)
    body = {"title": "T" * 300, **_blocks([{"kind": "robot", "name": "R2"}]), "nominee_org": [""]}
    response = client.post(f"/dossiers/{dossier.pk}/edit/", body)
    assert response.status_code == 400
    assert response.context["errors"].get("title")
    assert response.context["nominees"][0]["errors"].get("nominee_kind")
    dossier.refresh_from_db()
    assert dossier.title == "Hồ sơ thử của đơn vị" and dossier.nominees.count() == 1


def test_edit_and_documents_pages_refuse_others(world):
    """404 for a dossier the user may not see (another unit's proposer: the dossier's existence
    is not told), 403 for someone who sees it but is not the unit (the board on a returned
    dossier, an inspector on a draft), and nothing changes."""
    draft = _draft(world)
    returned = Dossier.objects.get(title=RETURNED)
    returned_documents = returned.attachments.count()
    attachment = draft.attachments.first()
    edit = {"title": "X", **_blocks([{"kind": "collective", "name": "X"}]), "nominee_org": [""]}
    cases = [
        ("proposer-MTTQ", draft, 404),
        ("head-MTTQ", draft, 404),
        ("inspector", draft, 403),
        ("board-officer", returned, 403),
        ("board-head", returned, 403),
    ]
    for username, dossier, expected in cases:
        client = _client(world, username)
        base = f"/dossiers/{dossier.pk}"
        assert client.get(f"{base}/edit/").status_code == expected, username
        assert client.post(f"{base}/edit/", edit).status_code == expected, username
        upload = {"kind": "khac", "file": demo_pdf("x.pdf")}
        assert client.post(f"{base}/documents/", upload).status_code == expected, username
        target = attachment if dossier == draft else dossier.attachments.first()
        assert client.post(f"{base}/documents/{target.pk}/remove/").status_code == expected
        replace = {"file": demo_pdf("y.pdf")}
        assert client.post(f"{base}/documents/{target.pk}/replace/", replace).status_code == (
            expected
        ), username
        for page in ("submit", "withdraw"):
            assert client.get(f"{base}/{page}/").status_code == expected, (username, page)
    draft.refresh_from_db()
    assert draft.title == "Hồ sơ thử của đơn vị" and draft.attachments.count() == 3
    assert returned.attachments.count() == returned_documents
    assert Dossier.objects.get(pk=returned.pk).title == RETURNED
    # The officer of the unit is not its head: it neither submits nor withdraws.
    officer = _client(world, OFFICER)
    assert officer.get(f"/dossiers/{draft.pk}/submit/").status_code == 403
    assert officer.post(f"/dossiers/{draft.pk}/withdraw/", {"reason": "x"}).status_code == 403


def test_edit_is_refused_after_submission(world):
    dossier = _draft(world)
    act(world, HEAD, dossier, "submit")
    client = _client(world, OFFICER)
    page = client.get(f"/dossiers/{dossier.pk}/edit/")
    assert page.status_code == 409
    assert escape(str(errors.NOT_EDITABLE)) in page.content.decode()
    body = {"title": "Sau khi nộp", **_blocks([{"kind": "collective", "name": "X"}])}
    assert (
        client.post(f"/dossiers/{dossier.pk}/edit/", {**body, "nominee_org": [""]}).status_code
        == 409
    )
    attachment = dossier.attachments.first()
    removed = client.post(f"/dossiers/{dossier.pk}/documents/{attachment.pk}/remove/")
    assert removed.status_code == 409
    dossier.refresh_from_db()
    assert dossier.title == "Hồ sơ thử của đơn vị" and dossier.attachments.count() == 3
    page = client.get(f"/dossiers/{dossier.pk}/").content.decode()
    assert f'href="/dossiers/{dossier.pk}/edit/"' not in page


# --- replace and remove documents ----------------------------------------------------------------


def test_proposer_removes_a_document_of_a_draft_and_its_file_stays(world):
    dossier = _draft(world)
    client = _client(world, OFFICER)
    attachment = dossier.attachments.get(kind__code="bao_cao_thanh_tich")
    stored, name = attachment.file.name, attachment.original_name
    html = client.get(f"/dossiers/{dossier.pk}/documents/").content.decode()
    assert f'href="/dossiers/{dossier.pk}/documents/{attachment.pk}/remove/"' in html
    confirm = client.get(f"/dossiers/{dossier.pk}/documents/{attachment.pk}/remove/")
    assert confirm.status_code == 200 and confirm.context["leaves_missing"] is True
    key = uuid.uuid4().hex
    url = f"/dossiers/{dossier.pk}/documents/{attachment.pk}/remove/"
    assert client.post(url, {"request_key": key}).status_code == 302
    assert client.post(url, {"request_key": key}).status_code == 302  # a second click: once
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert default_storage.exists(stored)  # never deleted: the audit trail leads to it
    [event] = _events(dossier, "detach")
    assert event.actor_name == OFFICER and event.from_state == event.to_state == "draft"
    assert _data(event)["sha256"] == attachment.sha256 and _data(event)["file"] == stored
    record = Attachment.history.filter(id=attachment.pk).latest("history_id")
    assert (record.history_type, record.history_change_reason) == ("-", "attachment.removed")
    assert record.ledger_seq == event.seq
    page = client.get(f"/dossiers/{dossier.pk}/documents/").content.decode()
    assert f"attachment-{attachment.pk}" not in page and name not in page
    assert _checklist(page)["bao_cao_thanh_tich"] == "missing"
    assert client.get(url).status_code == 404


def test_proposer_replaces_a_document_of_a_draft(world):
    dossier = _draft(world)
    client = _client(world, OFFICER)
    old = dossier.attachments.get(kind__code="to_trinh")
    url = f"/dossiers/{dossier.pk}/documents/{old.pk}/replace/"
    key = uuid.uuid4().hex
    response = client.post(url, {"file": demo_pdf("to-trinh-moi.pdf"), "request_key": key})
    assert response.status_code == 302
    again = client.post(url, {"file": demo_pdf("to-trinh-moi.pdf"), "request_key": key})
    assert again.status_code == 302  # the same form sent twice: one replacement
    new = dossier.attachments.get(kind__code="to_trinh")
    assert new.pk != old.pk and new.original_name == "to-trinh-moi.pdf"
    assert default_storage.exists(old.file.name) and default_storage.exists(new.file.name)
    assert [e.action for e in LedgerEvent.objects.filter(dossier_id=dossier.pk)][-2:] == [
        "detach", "attach"
    ]  # fmt: skip
    assert len(_events(dossier, "detach")) == 1
    html = client.get(f"/dossiers/{dossier.pk}/documents/").content.decode()
    assert "to-trinh-moi.pdf" in html and f"attachment-{old.pk}" not in html


def test_a_refused_replacement_keeps_the_old_document(world):
    dossier = _draft(world)
    old = dossier.attachments.get(kind__code="to_trinh")
    response = _client(world, OFFICER).post(
        f"/dossiers/{dossier.pk}/documents/{old.pk}/replace/",
        {"file": SimpleUploadedFile("script.pdf", b"#!/bin/sh\necho hi\n")},
    )
    assert response.status_code == 400
    assert Attachment.objects.filter(pk=old.pk).exists() and not _events(dossier, "detach")


def test_a_document_the_unit_did_not_add_is_not_removable(world):
    """A document stored by someone outside the unit (a ballot's minutes, a consulted body's
    reply) stays: the service refuses, and the page offers no button for it."""
    dossier = _draft(world)
    foreign = dossier_services.attachment_store(
        actor=world.user("voter-MTTQ"), dossier=dossier,
        kind=DocumentKind.objects.get(code="bien_ban_khoi"), name="bien-ban.pdf",
        data=demo_pdf("b.pdf").read(), content_type="application/pdf",
    )  # fmt: skip
    assert foreign.pk not in dossier_services.unit_document_ids(dossier)
    client = _client(world, OFFICER)
    html = client.get(f"/dossiers/{dossier.pk}/documents/").content.decode()
    assert f"/documents/{foreign.pk}/remove/" not in html
    response = client.post(f"/dossiers/{dossier.pk}/documents/{foreign.pk}/remove/")
    assert response.status_code == 409
    assert Attachment.objects.filter(pk=foreign.pk).exists()


# --- the return, answered point by point; the resubmission; the withdrawal --------------------


def test_the_returns_reason_is_at_the_top_and_the_head_answers_and_resubmits(world):
    dossier = Dossier.objects.get(title=RETURNED)
    version = dossier.version
    head = _client(world, HEAD)
    html = head.get(f"/dossiers/{dossier.pk}/").content.decode()
    assert 'id="return-reason"' in html
    top = html.index('id="return-reason"')
    assert top < html.index('class="actions"') < html.index("eligibility")  # first on the page
    assert escape(RETURN_REASON) in html[top : top + 2000]
    returned_by = LedgerEvent.objects.filter(dossier_id=dossier.pk, action="return").latest("seq")
    assert escape(full_name(returned_by.actor)) in html[top : top + 2000]  # a name, not a login
    assert f'href="/dossiers/{dossier.pk}/submit/"' in html  # the answer, not a one-click move
    assert f'action="/dossiers/{dossier.pk}/actions/submit/"' not in html
    page = head.get(f"/dossiers/{dossier.pk}/submit/")
    assert page.status_code == 200
    assert [p for p, _f in page.context["form"].answers()] == [RETURN_REASON]
    empty = head.post(f"/dossiers/{dossier.pk}/submit/", {"request_key": uuid.uuid4().hex})
    assert empty.status_code == 400
    assert escape(str(proposer.ANSWER_NEEDED)) in empty.content.decode()
    answer = "Đã bổ sung xác nhận của cấp trình"
    body = {"request_key": uuid.uuid4().hex, "answer_0": answer, "response": "Xin cảm ơn"}
    sent = head.post(f"/dossiers/{dossier.pk}/submit/", body)
    assert sent.status_code == 302
    assert head.post(f"/dossiers/{dossier.pk}/submit/", body).status_code == 302  # once
    dossier.refresh_from_db()
    assert dossier.version == version + 1 and dossier.state == DossierState.INTAKE
    [event] = [e for e in _events(dossier, "submit") if e.from_state == "returned"]
    assert event.reason == f"1. {RETURN_REASON}\n→ {answer}\nXin cảm ơn"
    assert event.version == version + 1 and event.actor_name == HEAD
    assert 'id="return-reason"' not in head.get(f"/dossiers/{dossier.pk}/").content.decode()


def test_a_return_of_several_points_is_answered_one_by_one(world):
    dossier = Dossier.objects.get(title=RETURNED)
    act(world, HEAD, dossier, "submit", reason="Đã bổ sung")
    reason = (
        "1. Tờ trình chưa có chữ ký của thủ trưởng\n2. Báo cáo thành tích thiếu số liệu năm 2022"
    )
    act(world, "board-officer", dossier, "return", reason=reason)
    head = _client(world, HEAD)
    html = head.get(f"/dossiers/{dossier.pk}/").content.decode()
    assert html.count('class="return-points"') == 1
    points = ["Tờ trình chưa có chữ ký của thủ trưởng", "Báo cáo thành tích thiếu số liệu năm 2022"]
    for point in points:
        assert f"<li>{escape(point)}</li>" in html
    page = head.get(f"/dossiers/{dossier.pk}/submit/")
    assert [p for p, _f in page.context["form"].answers()] == points
    body = {"request_key": uuid.uuid4().hex, "answer_0": "Đã ký", "answer_1": "Đã bổ sung số liệu"}
    assert head.post(f"/dossiers/{dossier.pk}/submit/", body).status_code == 302
    event = _events(dossier, "submit")[-1]
    assert event.reason == (f"1. {points[0]}\n→ Đã ký\n2. {points[1]}\n→ Đã bổ sung số liệu")
    assert proposer.return_points("Thiếu: 1) tờ trình 2) biên bản") == [
        "Thiếu:", "tờ trình", "biên bản"
    ]  # fmt: skip


def test_the_head_signs_and_submits_a_draft_after_a_confirmation(world):
    dossier = _draft(world)
    head = _client(world, HEAD)
    html = head.get(f"/dossiers/{dossier.pk}/").content.decode()
    assert f'href="/dossiers/{dossier.pk}/submit/"' in html
    page = head.get(f"/dossiers/{dossier.pk}/submit/")
    assert page.status_code == 200 and page.context["returned"] is None
    assert "Trần Thị Nhạc" in page.content.decode()
    sent = head.post(f"/dossiers/{dossier.pk}/submit/", {"request_key": uuid.uuid4().hex})
    assert sent.status_code == 302
    dossier.refresh_from_db()
    # An individual: past the bloc (it ranks organisations), straight to the board's intake.
    assert dossier.state == DossierState.INTAKE and dossier.version == 1
    assert head.get(f"/dossiers/{dossier.pk}/submit/").status_code == 409


def test_the_head_withdraws_with_a_reason_after_a_confirmation(world):
    dossier = Dossier.objects.get(title=RETURNED)
    head = _client(world, HEAD)
    html = head.get(f"/dossiers/{dossier.pk}/").content.decode()
    assert f'href="/dossiers/{dossier.pk}/withdraw/"' in html
    assert f'action="/dossiers/{dossier.pk}/actions/withdraw/"' not in html
    page = head.get(f"/dossiers/{dossier.pk}/withdraw/")
    assert page.status_code == 200 and 'name="reason"' in page.content.decode()
    url = f"/dossiers/{dossier.pk}/withdraw/"
    blank = head.post(url, {"reason": "  ", "request_key": uuid.uuid4().hex})
    assert blank.status_code == 400
    assert escape(str(errors.REASON_REQUIRED)) in blank.content.decode()
    assert Dossier.objects.get(pk=dossier.pk).state == DossierState.RETURNED
    body = {"reason": "Đơn vị rút hồ sơ để bổ sung năm sau", "request_key": uuid.uuid4().hex}
    assert head.post(url, body).status_code == 302
    assert head.post(url, body).status_code == 302  # the same form twice: withdrawn once
    dossier.refresh_from_db()
    assert dossier.state == DossierState.WITHDRAWN
    [event] = _events(dossier, "withdraw")
    assert event.reason == body["reason"] and event.actor_name == HEAD
    assert set(dossier.nominees.values_list("outcome", flat=True)) == {NomineeOutcome.WITHDRAWN}
    assert head.get(url).status_code == 409


# --- file sizes ----------------------------------------------------------------------------------


def test_file_sizes_read_with_their_unit_in_the_pages_language():
    with translation.override("vi"):
        assert file_size(28467) == "27,8\xa0KB"
        assert file_size(512) == "512\xa0B"
        assert file_size(0) == "0\xa0B"
        assert file_size(1024) == "1,0\xa0KB"
        assert file_size(1048575) == "1,0\xa0MB"  # 1023.99 KB is read as 1.0 MB
        assert file_size(5 * 1024 * 1024 + 300 * 1024) == "5,3\xa0MB"
        assert file_size(None) == file_size("x") == file_size(-1) == ""
    with translation.override("en"):
        assert file_size(28467) == "27.8\xa0KB"


def test_the_pages_show_file_sizes_with_their_unit(world):
    dossier = _draft(world)
    data = b"%PDF-1.4\n" + b"0" * (28467 - 9)  # stored as the service stores a checked file
    dossier_services.attachment_store(
        actor=world.user(OFFICER), dossier=dossier, kind=DocumentKind.objects.get(code="khac"),
        name="phu-luc.pdf", data=data, content_type="application/pdf",
    )  # fmt: skip
    client = _client(world, OFFICER)
    with translation.override("vi"):
        expected = file_size(28467)
    assert expected == "27,8\xa0KB"
    for url in (f"/dossiers/{dossier.pk}/documents/", f"/dossiers/{dossier.pk}/"):
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
        assert f'<td class="size">{expected}</td>' in html or f"<td>{expected}</td>" in html, url


# --- query counts --------------------------------------------------------------------------------


def _count(client: Client, url: str, data: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, data) if data is not None else client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


def test_the_units_pages_cost_the_same_whatever_the_number_of_nominees(world):
    collectives = [{"kind": "collective", "name": f"Ban {i}"} for i in range(12)]
    small = _draft(world, "Một người")
    large = _draft(world, "Mười ba người", extra=collectives)
    assert (small.nominees.count(), large.nominees.count()) == (1, 13)
    officer, head = _client(world, OFFICER), _client(world, HEAD)
    for client, page in (
        (officer, "edit/"), (officer, "documents/"), (officer, ""), (head, "submit/"),
        (head, "withdraw/"),
    ):  # fmt: skip
        counts = [_count(client, f"/dossiers/{d.pk}/{page}") for d in (small, large)]
        assert counts[0] == counts[1], (page, counts)
    # The create page posted back with one block more: as many queries for 1 as for 13.
    one = _count(officer, "/dossiers/new/", {**_form(collectives[:1]), "nominee_add": "1"})
    many = _count(officer, "/dossiers/new/", {**_form(collectives), "nominee_add": "1"})
    assert one == many


# --- in a real browser ---------------------------------------------------------------------------

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots" / "proposer"


@pytest.fixture
def browser():
    ensure_browser()  # skips without Chromium, fails instead when CI requires it
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--window-size=1280,1100", "--lang=vi",
    ):  # fmt: skip
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def _console_errors(browser) -> list[str]:
    """Script errors and Content-Security-Policy refusals the browser reported."""
    return [
        entry["message"]
        for entry in browser.get_log("browser")
        if entry["level"] == "SEVERE" and "favicon" not in entry["message"]
    ]


@pytest.mark.django_db(transaction=True)
def test_proposer_and_head_finish_their_work_in_the_browser(browser, live_server, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from demo.world import build_organisations, build_users

    build_organisations()
    build_users()
    singer = person("Đỗ Thanh Ca", UNIT, year=2023)  # in the registry, with a history
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    step = iter(range(1, 100))

    def shot(name: str) -> None:
        browser.save_screenshot(str(SHOTS / f"{next(step):02d}-{name}.png"))

    def sign_in(username: str) -> None:
        browser.delete_all_cookies()
        browser.get(f"{base}/accounts/login/")
        browser.find_element(By.NAME, "username").send_keys(username)
        browser.find_element(By.NAME, "password").send_keys("demo")
        browser.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
        browser.find_element(By.XPATH, f"//header//span[@data-username='{username}']")

    # The officer: a new dossier, two nominees (the second block added by the page's script).
    sign_in(OFFICER)
    browser.get(f"{base}/dossiers/new/")
    Select(browser.find_element(By.NAME, "award_form")).select_by_value("BK-TTG")
    checklist = browser.find_element(By.CSS_SELECTOR, 'ul[data-form="BK-TTG"]')
    assert checklist.is_displayed() and "Tờ trình" in checklist.text
    assert not browser.find_element(By.CSS_SELECTOR, 'ul[data-form="BK-TINH"]').is_displayed()
    year = browser.find_element(By.NAME, "year")
    year.clear()
    year.send_keys("2023")
    browser.find_element(By.NAME, "title").send_keys("Đề nghị Bằng khen Thủ tướng (trình duyệt)")

    def blocks() -> list:
        return browser.find_elements(By.CSS_SELECTOR, "[data-nominees] [data-nominee]")

    first = blocks()[0]
    Select(first.find_element(By.NAME, "nominee_kind")).select_by_value("individual")
    first.find_element(By.NAME, "nominee_name").send_keys(singer["name"])
    first.find_element(By.NAME, "nominee_identity").send_keys(singer["identity"])
    first.find_element(By.NAME, "nominee_criterion").send_keys("73.1.b")
    first.find_element(By.NAME, "achievements").send_keys("Nhiều tác phẩm đạt giải")
    browser.find_element(By.CSS_SELECTOR, "button[data-nominee-add]").click()
    assert len(blocks()) == 2
    second = blocks()[1]
    assert second.find_element(By.CSS_SELECTOR, "[data-nominee-number]").text == "2"
    Select(second.find_element(By.NAME, "nominee_kind")).select_by_value("collective")
    assert not second.find_element(By.CSS_SELECTOR, "[data-individual]").is_displayed()
    second.find_element(By.NAME, "nominee_name").send_keys("Ban Thanh nhạc")
    shot("create-two-nominees")
    browser.find_element(By.CSS_SELECTOR, "#dossier-form button[data-once]").click()
    browser.find_element(By.CSS_SELECTOR, ".unit-panel")  # the new dossier's page
    dossier = Dossier.objects.get(title="Đề nghị Bằng khen Thủ tướng (trình duyệt)")
    assert [n.name for n in dossier.nominees.order_by("id")] == [singer["name"], "Ban Thanh nhạc"]
    shot("draft-with-checklist")

    # The documents: each required kind uploaded on the documents page.
    browser.find_element(By.CSS_SELECTOR, f'a[href="/dossiers/{dossier.pk}/documents/"]').click()
    for kind in dossier.award_form.required_documents.all():
        pdf = tmp_path / f"{kind.code}.pdf"
        pdf.write_bytes(demo_pdf(f"{kind.code}.pdf").read())
        Select(browser.find_element(By.NAME, "kind")).select_by_value(kind.code)
        browser.find_element(By.CSS_SELECTOR, "#upload-form input[type=file]").send_keys(str(pdf))
        browser.find_element(By.CSS_SELECTOR, "#upload-form button").click()
        browser.find_element(By.CSS_SELECTOR, f'li.doc-attached[data-kind="{kind.code}"]')
    assert browser.find_elements(By.CSS_SELECTOR, "p.doc-complete")
    shot("documents-complete")
    errors_seen = _console_errors(browser)

    # The head: reads the dossier, confirms, signs and submits.
    sign_in(HEAD)
    browser.get(f"{base}/dossiers/{dossier.pk}/")
    browser.find_element(By.CSS_SELECTOR, f'a[href="/dossiers/{dossier.pk}/submit/"]').click()
    assert singer["name"] in browser.find_element(By.TAG_NAME, "main").text
    shot("head-confirms")
    browser.find_element(By.CSS_SELECTOR, "#submit-form button[type=submit]").click()
    browser.find_element(By.CSS_SELECTOR, "ul.messages li.success")
    shot("submitted")
    dossier.refresh_from_db()
    assert dossier.state == DossierState.BLOC_VOTING and dossier.attachments.count() == 3
    assert not Nominee.objects.filter(dossier=dossier, person__isnull=True, kind="individual")
    errors_seen += _console_errors(browser)
    assert errors_seen == [], "\n".join(errors_seen)


@pytest.mark.django_db(transaction=True)
def test_a_return_answered_and_a_withdrawal_in_the_browser(browser, live_server, tmp_path):
    """The head submits, the board returns with two points, the officer edits and replaces a
    document, the head answers point by point and sends the dossier again, then withdraws it."""
    from selenium.webdriver.common.by import By

    from demo.world import build_organisations, build_users

    build_organisations()
    build_users()
    world = World()
    dossier = start(
        world, UNIT, "CSTD-TQ", "Chiến sĩ thi đua toàn quốc (trình duyệt)",
        [person("Vũ Minh Họa", UNIT, "Sáng kiến áp dụng toàn quốc", year=2023)], 2023,
    )  # fmt: skip
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    step = iter(range(11, 100))

    def shot(name: str) -> None:
        browser.save_screenshot(str(SHOTS / f"{next(step):02d}-{name}.png"))

    def sign_in(username: str) -> None:
        browser.delete_all_cookies()
        browser.get(f"{base}/accounts/login/")
        browser.find_element(By.NAME, "username").send_keys(username)
        browser.find_element(By.NAME, "password").send_keys("demo")
        browser.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
        browser.find_element(By.XPATH, f"//header//span[@data-username='{username}']")

    def open_dossier() -> None:
        browser.get(f"{base}/dossiers/{dossier.pk}/")

    sign_in(HEAD)
    open_dossier()
    browser.find_element(By.CSS_SELECTOR, f'a[href="/dossiers/{dossier.pk}/submit/"]').click()
    browser.find_element(By.CSS_SELECTOR, "#submit-form button[type=submit]").click()
    browser.find_element(By.CSS_SELECTOR, "ul.messages li.success")
    dossier.refresh_from_db()
    assert dossier.state == DossierState.INTAKE

    sign_in("board-officer")
    open_dossier()
    returning = browser.find_element(By.CSS_SELECTOR, 'form[action$="/actions/return/"]')
    returning.find_element(By.NAME, "reason").send_keys(
        "1. Tờ trình chưa có chữ ký của thủ trưởng 2. Báo cáo thiếu số liệu năm 2022"
    )
    returning.find_element(By.TAG_NAME, "button").click()
    browser.find_element(By.CSS_SELECTOR, "#return-reason")

    sign_in(OFFICER)
    open_dossier()
    banner = browser.find_element(By.CSS_SELECTOR, "#return-reason")
    points = banner.find_elements(By.CSS_SELECTOR, ".return-points li")
    assert [p.text for p in points] == [
        "Tờ trình chưa có chữ ký của thủ trưởng", "Báo cáo thiếu số liệu năm 2022"
    ]  # fmt: skip
    assert banner.location["y"] < browser.find_element(By.CSS_SELECTOR, ".unit-panel").location["y"]
    shot("returned-reason-first")
    browser.find_element(By.CSS_SELECTOR, f'a[href="/dossiers/{dossier.pk}/edit/"]').click()
    title = browser.find_element(By.NAME, "title")
    title.clear()
    title.send_keys("Chiến sĩ thi đua toàn quốc (đã bổ sung)")
    browser.find_element(By.CSS_SELECTOR, "#dossier-form button[data-once]").click()
    browser.find_element(By.CSS_SELECTOR, "ul.messages li.success")
    browser.find_element(By.CSS_SELECTOR, f'a[href="/dossiers/{dossier.pk}/documents/"]').click()
    old = dossier.attachments.get(kind__code="to_trinh")
    pdf = tmp_path / "to-trinh-co-chu-ky.pdf"
    pdf.write_bytes(demo_pdf("x.pdf").read())
    row = browser.find_element(By.CSS_SELECTOR, f"#attachment-{old.pk}")
    row.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(pdf))
    row.find_element(By.CSS_SELECTOR, "button").click()
    browser.find_element(By.XPATH, "//td/a[text()='to-trinh-co-chu-ky.pdf']")
    shot("document-replaced")

    sign_in(HEAD)
    open_dossier()
    browser.find_element(By.CSS_SELECTOR, f'a[href="/dossiers/{dossier.pk}/submit/"]').click()
    answers = browser.find_elements(By.CSS_SELECTOR, ".return-answers textarea")
    assert len(answers) == 2
    answers[0].send_keys("Đã bổ sung tờ trình có chữ ký")
    answers[1].send_keys("Đã bổ sung số liệu năm 2022")
    shot("head-answers-point-by-point")
    browser.find_element(By.CSS_SELECTOR, "#submit-form button[type=submit]").click()
    browser.find_element(By.CSS_SELECTOR, "ul.messages li.success")
    dossier.refresh_from_db()
    assert (dossier.state, dossier.version) == (DossierState.INTAKE, 2)
    assert dossier.title == "Chiến sĩ thi đua toàn quốc (đã bổ sung)"
    sent = _events(dossier, "submit")[-1]
    assert "→ Đã bổ sung số liệu năm 2022" in sent.reason
    shot("resubmitted")

    browser.find_element(By.CSS_SELECTOR, f'a[href="/dossiers/{dossier.pk}/withdraw/"]').click()
    browser.find_element(By.NAME, "reason").send_keys("Đơn vị đề nghị vào năm sau")
    shot("withdraw-confirmation")
    browser.find_element(By.CSS_SELECTOR, "#withdraw-form button[type=submit]").click()
    browser.find_element(By.CSS_SELECTOR, "ul.messages li.success")
    shot("withdrawn")
    dossier.refresh_from_db()
    assert dossier.state == DossierState.WITHDRAWN
    errors_seen = _console_errors(browser)
    assert errors_seen == [], "\n".join(errors_seen)
