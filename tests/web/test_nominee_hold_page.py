"""Holding one nominee from the dossier page, and releasing the hold (issue #14, item 2: the
board's hold and release of a nominee; the API's `nominees/<id>/<action>/`): the board of the
level holding the dossier sees the forms and uses them; anyone else is refused, the way the
dossier's own actions are (404 unseen, 403 seen but not theirs). Django's test client on the
demo world; tests/web/test_board_browser.py does it in the browser."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from audit.models import LedgerEvent
from demo.world import act, person, start
from dossiers.models import Dossier, Nominee, NomineeOutcome
from tests.signin import signin

pytestmark = pytest.mark.django_db
REFERENCE = "MTTQ-2023-0002"  # BK-TTG at the central board's appraisal
HOLD = {"reason_code": "complaint", "reason": "Có đơn khiếu nại về thành tích"}


@pytest.fixture
def dossier() -> Dossier:
    return Dossier.objects.get(reference=REFERENCE)


@pytest.fixture
def nominee(dossier) -> Nominee:
    return dossier.nominees.get()


def client_for(username: str) -> Client:
    client = Client()
    assert signin(client, username)
    return client


def url(dossier: Dossier, nominee: Nominee, action: str) -> str:
    return f"/dossiers/{dossier.pk}/nominees/{nominee.pk}/{action}/"


def test_the_board_holds_a_nominee_and_releases_the_hold(dossier, nominee):
    board = client_for("board-officer")
    page = board.get(f"/dossiers/{dossier.pk}/").content.decode()
    assert f'action="{url(dossier, nominee, "hold")}"' in page
    assert url(dossier, nominee, "release") not in page

    held = board.post(url(dossier, nominee, "hold"), HOLD, follow=True)
    assert held.redirect_chain[-1][0] == f"/dossiers/{dossier.pk}/#nominee-{nominee.pk}"
    nominee.refresh_from_db()
    assert (nominee.outcome, nominee.outcome_reason) == (NomineeOutcome.ON_HOLD, "complaint")
    page = held.content.decode()
    assert f"Đã tạm dừng xét {nominee.name}" in page
    assert f'action="{url(dossier, nominee, "release")}"' in page
    assert url(dossier, nominee, "hold") not in page
    event = LedgerEvent.objects.filter(dossier=dossier).order_by("-seq").first()
    assert (event.action, event.actor.username) == ("nominee_hold", "board-officer")

    released = board.post(
        url(dossier, nominee, "release"), {"reason": "Đã giải quyết xong"}, follow=True
    )
    nominee.refresh_from_db()
    assert nominee.outcome == NomineeOutcome.PENDING
    assert f"Đã tiếp tục xét {nominee.name}." in released.content.decode()


@pytest.mark.parametrize(
    ("username", "status"),
    [("proposer-MTTQ", 403), ("inspector", 403), ("proposer-VHNT", 404), ("t-board-officer", 404)],
)
def test_others_may_not_hold_a_nominee(dossier, nominee, username, status):
    client = client_for(username)
    page = client.get(f"/dossiers/{dossier.pk}/")
    assert url(dossier, nominee, "hold") not in page.content.decode()  # no form offered
    assert client.post(url(dossier, nominee, "hold"), HOLD).status_code == status
    nominee.refresh_from_db()
    assert nominee.outcome == NomineeOutcome.PENDING


def test_what_the_page_refuses(dossier, nominee):
    board = client_for("board-officer")
    assert board.post(url(dossier, nominee, "explode"), HOLD).status_code == 404
    other = Nominee.objects.exclude(dossier=dossier).first()
    assert board.post(url(dossier, other, "hold"), HOLD).status_code == 404
    assert board.get(url(dossier, nominee, "hold")).status_code == 405
    no_reason = board.post(url(dossier, nominee, "hold"), {"reason_code": "complaint"}, follow=True)
    assert no_reason.status_code == 200
    assert 'class="error"' in no_reason.content.decode()  # the service's message, shown
    bad = board.post(url(dossier, nominee, "hold"), {**HOLD, "reason": "x\x00"}, follow=True)
    assert bad.status_code == 200 and 'class="error"' in bad.content.decode()
    nominee.refresh_from_db()
    assert nominee.outcome == NomineeOutcome.PENDING


def test_the_dossier_page_costs_the_same_with_more_nominees(world):
    """The hold forms are drawn from the prefetched nominees and the policy in memory."""

    def at_intake(count: int) -> Dossier:
        nominees = [person(f"Nghệ sĩ {count}-{i}", "VHNT", year=2023) for i in range(count)]
        dossier = start(world, "VHNT", "BK-TTG", f"Hồ sơ {count} người", nominees, 2023)
        return act(world, "head-VHNT", dossier, "submit")  # individuals: straight to the board

    board = client_for("board-officer")
    costs = []
    for dossier in (at_intake(1), at_intake(6)):
        board.get(f"/dossiers/{dossier.pk}/")  # warm: the organisation tree is read once
        with CaptureQueriesContext(connection) as context:
            page = board.get(f"/dossiers/{dossier.pk}/").content.decode()
        assert page.count('class="nominee-hold"') == dossier.nominees.count()
        costs.append(len(context.captured_queries))
    assert costs[0] == costs[1], costs
