"""The clock's reminders (`manage.py notify_overdue`): overdue work once per dossier and day,
ballots closing within 24 hours once."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from dossiers.models import Dossier, DossierState
from notifications import reminders
from tests.workflows.helpers import CENTRAL, act, create, upload_required

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _run() -> str:
    out = io.StringIO()
    call_command("notify_overdue", stdout=out)
    return out.getvalue()


def _at(day: datetime.date) -> time_machine.travel:
    return time_machine.travel(datetime.datetime.combine(day, datetime.time(9, 0), tzinfo=TZ))


def test_overdue_work_goes_to_its_assignee_or_the_board_head_once_a_day(api, watch):
    assigned, unassigned = Dossier.objects.filter(
        state__in=[DossierState.INTAKE, DossierState.APPRAISAL], holder__code="TTG", assignee=None
    ).order_by("pk")[:2]
    act(api, "board-head", assigned.pk, "assign", officer="board-officer-2")
    returned = Dossier.objects.filter(state=DossierState.RETURNED).first()
    assert assigned.due_date and unassigned.due_date and returned.due_date
    day = max(assigned.due_date, unassigned.due_date, returned.due_date) + datetime.timedelta(1)

    seen = watch()
    with _at(day):
        assert "overdue" in _run()
    overdue = seen.new("overdue")

    def told(dossier: Dossier) -> list[str]:
        return sorted(overdue.filter(dossier=dossier).values_list("recipient__username", flat=True))

    assert told(assigned) == ["board-officer-2"]
    assert told(unassigned) == ["board-head"]
    org = returned.organization.code
    assert told(returned) == [f"head-{org}", f"proposer-{org}"]
    # Nothing for dossiers that are not late, ended, or on hold.
    late = Dossier.objects.filter(due_date__lt=day).exclude(
        state__in=["decided", "not_approved", "withdrawn", "revoked", "on_hold"]
    )
    assert set(overdue.values_list("dossier_id", flat=True)) <= set(late.values_list("pk", flat=1))
    count = overdue.count()

    with _at(day):
        _run()  # the same day again: nothing new
    assert seen.new("overdue").count() == count
    with _at(day + datetime.timedelta(1)):
        _run()  # the next day, still late: told again
    assert seen.new("overdue").filter(dossier=assigned).count() == 2


def test_a_ballot_closing_soon_reminds_those_who_have_not_voted_once(api, watch):
    team = {"kind": "collective", "name": "Ban Tổ chức Hội LHPN", "organization": "HLHPN"}
    dossier = create(api, "HLHPN", "BK-TTG", [team])  # a bloc votes on collectives
    upload_required(api, "HLHPN", dossier, ["to_trinh", "bao_cao_thanh_tich"])
    submitted = act(api, "head-HLHPN", dossier, "submit")
    nominees = [n["id"] for n in submitted["nominees"]]
    deadline = timezone.now() + datetime.timedelta(hours=30)
    opened = api("voter-MTTQ").post(
        "/api/v1/ballots/",
        {"bloc": "KHOI-CTXH-TW", "year": 2023, "nominees": nominees, "deadline": deadline},
        format="json",
    )
    assert opened.status_code == 201, opened.json()
    session = opened.json()["id"]
    for code in ("HCCB", "TLDLD"):
        cast = api(f"voter-{code}").post(
            f"/api/v1/ballots/{session}/votes/",
            {"choices": {str(n): "yes" for n in nominees}, "conflicts": []},
            format="json",
        )
        assert cast.status_code == 201, cast.json()

    seen = watch()
    assert reminders.ballot_closing_notify() == []  # 30 hours away: not yet
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=8)):
        made = reminders.ballot_closing_notify()
        assert reminders.ballot_closing_notify() == []  # once
    waiting = sorted(f"voter-{c}" for c in CENTRAL if c not in ("HCCB", "TLDLD"))
    assert sorted(n.recipient.username for n in made) == waiting
    assert seen.who("ballot_closing") == waiting
    assert {n.link for n in made} == {f"/ballots/{session}/"}
