"""Assignment: the board's head shares the dossiers its level holds among its officers, an
officer claims one from the unassigned queue, gives it back; each step is audited."""

import datetime

from django.test import Client

from audit.models import LedgerEvent
from dossiers.models import Dossier, DossierState
from tests.signin import signin
from tests.workflows.helpers import act


def _intake() -> Dossier:
    return (
        Dossier.objects.filter(state=DossierState.INTAKE, holder__code="TTG", assignee=None)
        .order_by("pk")
        .first()
    )


def _do(api, username: str, dossier: Dossier, action: str, expect: int = 200, **body) -> dict:
    return act(api, username, dossier.pk, action, expect=expect, **body)


def test_assign_reassign_release_and_claim(api):
    dossier = _intake()
    assert dossier is not None, "the demo world has a dossier at the central board's intake"
    _do(api, "board-officer", dossier, "assign", 403, officer="board-officer")  # not the head
    refused = _do(api, "board-head", dossier, "assign", 400, officer="t-board-officer")
    assert refused["code"] == "not_an_officer"
    _do(api, "board-head", dossier, "assign", 400, officer="nobody-of-that-name")
    assigned = _do(api, "board-head", dossier, "assign", officer="board-officer")
    assert assigned["assignee"] == "board-officer"
    assert assigned["state"] == "intake"  # sharing the work is not a move
    mine = api("board-officer").get(f"/api/v1/dossiers/{dossier.pk}/").json()
    assert mine["assignment_actions"] == ["release"]
    conflict = _do(api, "board-officer", dossier, "claim", 409)
    assert conflict["code"] == "assignment_state"
    listed = api("board-officer").get("/api/v1/dossiers/?assignee=me&page_size=200").json()
    assert dossier.pk in [row["id"] for row in listed["results"]]
    # Reassignment, then the officer it no longer belongs to may not give it back.
    assert _do(api, "board-head", dossier, "assign", officer="board-head")["assignee"] == (
        "board-head"
    )
    _do(api, "board-officer", dossier, "release", 403)
    assert _do(api, "board-head", dossier, "release")["assignee"] is None
    unassigned = api("board-officer").get("/api/v1/dossiers/?assignee=none&page_size=200").json()
    assert dossier.pk in [row["id"] for row in unassigned["results"]]
    assert _do(api, "board-officer", dossier, "claim")["assignee"] == "board-officer"
    _do(api, "t-board-officer", dossier, "claim", 404)  # another level does not see it
    events = LedgerEvent.objects.filter(
        dossier_id=dossier.pk, action__in=["assign", "claim", "release"]
    )
    trail = [(e.action, e.actor.username) for e in events.order_by("seq")]
    assert trail == [
        ("assign", "board-head"), ("assign", "board-head"), ("release", "board-head"),
        ("claim", "board-officer"),
    ]  # fmt: skip
    last = events.order_by("seq").last()
    body = last.body if isinstance(last.body, str) else str(last.body)
    assert "board-officer" in body


def test_release_on_a_held_dossier_still_releases_the_hold(api):
    dossier = Dossier.objects.filter(state=DossierState.ON_HOLD, holder__code="TTG").first()
    assert dossier is not None, "the demo world has a dossier on hold at the central board"
    released = _do(api, "board-officer", dossier, "release", reason="Đã xác minh xong")
    assert released["state"] != "on_hold"


def test_a_new_level_takes_the_dossier_unassigned(api):
    dossier = Dossier.objects.filter(state=DossierState.AWAITING_SUBMISSION).first()
    assert dossier is not None and dossier.holder.code == "T-UBND"
    _do(api, "t-board-officer", dossier, "claim")
    moved = _do(api, "t-chair", dossier, "sign_submission")
    assert (moved["holder"], moved["assignee"]) == ("TTG", None)


def test_the_inbox_shows_my_work_the_queue_and_the_overdue_by_officer(api):
    dossier = _intake()
    _do(api, "board-head", dossier, "assign", officer="board-officer")
    Dossier.objects.filter(pk=dossier.pk).update(due_date=datetime.date(2020, 1, 1))
    officer = Client()
    assert signin(officer, "board-officer")
    page = officer.get("/").content.decode()
    assert "Assigned to me" in page or "Được giao cho tôi" in page
    assert dossier.reference in page
    head = Client()
    assert signin(head, "board-head")
    page = head.get("/").content.decode()
    assert "Overdue work by officer" in page or "Việc quá hạn theo cán bộ" in page
    assert "?assignee=board-officer" in page
