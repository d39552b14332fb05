"""Lists and pages cost a constant number of queries, whatever the data size."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers

from demo.world import World
from dossiers import calendar, lifecycle
from dossiers.models import Dossier
from tests.signin import signin
from workflows import services as wf

pytestmark = pytest.mark.django_db


def _more_dossiers(count: int) -> None:
    world = World()
    for i in range(count):
        dossier = wf.dossier_start(
            actor=world.user("proposer-MTTQ"),
            organization=world.org("MTTQ"),
            award_form=world.form("BK-TTG"),
            year=2023,
            title=f"Tải {i}",
            nominees=[
                {"kind": "individual", "name": f"Người {i}-{j}", "organization": "MTTQ"}
                for j in range(3)
            ],
        )
        assert dossier.pk


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as context:
        response = call()
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize(
    "username,url",
    [
        ("inspector", "/api/v1/dossiers/"),
        ("head-MTTQ", "/api/v1/dossiers/?state=draft"),
        ("inspector", "/api/v1/decisions/"),
        ("inspector", "/api/v1/award-forms/"),
        ("inspector", "/api/v1/blocs/?year=2023"),
    ],
)
def test_api_lists_are_constant(api, username, url):
    client = api(username)
    before = _queries(lambda: client.get(url))
    _more_dossiers(12)
    after = _queries(lambda: client.get(url))
    assert after == before


@pytest.mark.parametrize(
    "username,url", [("head-MTTQ", "/"), ("inspector", "/dossiers/"), ("pm", "/decisions/")]
)
def test_pages_are_constant(username, url):
    client = Client()
    signin(client, username)
    before = _queries(lambda: client.get(url))
    _more_dossiers(12)
    after = _queries(lambda: client.get(url))
    assert after == before


def test_dossier_detail_is_constant(api):
    dossier = Dossier.objects.filter(organization__code="MTTQ").first()
    client = api("inspector")
    before = _queries(lambda: client.get(f"/api/v1/dossiers/{dossier.pk}/"))
    page_before = Client()
    signin(page_before, "inspector")
    html_before = _queries(lambda: page_before.get(f"/dossiers/{dossier.pk}/"))
    _more_dossiers(5)
    assert _queries(lambda: client.get(f"/api/v1/dossiers/{dossier.pk}/")) == before
    assert _queries(lambda: page_before.get(f"/dossiers/{dossier.pk}/")) == html_before


def test_ballot_detail_is_constant(api):
    from approvals.models import BallotSession

    session = BallotSession.objects.filter(state="closed", bloc__code="KHOI-CTXH-TW").first()
    client = api("inspector")
    before = _queries(lambda: client.get(f"/api/v1/ballots/{session.pk}/"))
    listing = _queries(lambda: client.get("/api/v1/ballots/"))
    _more_dossiers(5)
    from demo.world import World, bloc_ballot

    world = World()
    extra = Dossier.objects.filter(title__startswith="Tải", state="draft")[:3]
    for dossier in extra:
        dossier.state, dossier.bloc_id = "bloc_voting", session.bloc_id
        dossier.save()
    bloc_ballot(
        world, "voter-MTTQ", "KHOI-CTXH-TW", 2023, list(extra), ["MTTQ", "HCCB"], close=False
    )
    assert _queries(lambda: client.get("/api/v1/ballots/")) == listing
    bigger = BallotSession.objects.order_by("-id").first()
    assert _queries(lambda: client.get(f"/api/v1/ballots/{bigger.pk}/")) == before


def _more_provinces(count: int) -> None:
    """`count` more provinces, each with its board, council, a unit and a dossier its board
    holds at intake (written directly: the route is not what is measured here)."""
    from dossiers import access, lifecycle, services
    from dossiers.models import DossierState, Organization

    world = World()
    admin = world.user("admin")
    for i in range(count):
        code = f"P{i}"
        authority = Organization.objects.create(
            code=f"{code}-UBND", name=f"UBND {code}", level="province", kind="decider"
        )
        for kind, suffix in (("board", "BTDKT"), ("council", "HDTDKT")):
            Organization.objects.create(
                code=f"{code}-{suffix}", name=suffix, level="province", kind=kind,
                parent=authority,
            )  # fmt: skip
        unit = Organization.objects.create(
            code=f"{code}-HND", name=f"Hội ND {code}", level="province", parent=authority
        )
        dossier = services.dossier_create(
            actor=admin, organization=unit, award_form=world.form("BK-TINH"), year=2024,
            title=f"Tỉnh {code}", nominees=[{"kind": "collective", "name": f"Tập thể {code}"}],
        )  # fmt: skip
        dossier.state = DossierState.INTAKE
        authority_code = lifecycle.step_on(dossier)
        dossier.save(update_fields=["state", "route_step", "holder"])
        access.on_held(dossier, authority_code)


@pytest.mark.parametrize(
    "username,url",
    [
        ("t-board-officer", "/"),
        ("t-board-officer", "/api/v1/dossiers/"),
        ("board-officer", "/"),
        ("t-council-secretary", "/"),
        ("t-chair", "/decisions/"),
    ],
)
def test_inboxes_and_lists_are_constant_with_the_number_of_provinces(username, url):
    client = Client()
    signin(client, username)
    client.get(url)  # warm: the organisation tree is read once per change
    before = _queries(lambda: client.get(url))
    _more_provinces(6)
    client.get(url)
    after = _queries(lambda: client.get(url))
    assert after == before


# Dossiers a level's board, council and head hold at each of their stages: (unit, form, state,
# position on its route). A PM's certificate of 2025 (no cluster that year): the level's intake,
# its council's vote, its head's submission; the level's own form at its head's decision.
AT_THE_LEVEL = [
    ("T-HND", "BK-TTG", "council_review", 1), ("T-HND", "BK-TTG", "awaiting_submission", 2),
    ("T-HND", "BK-TINH", "intake", 0), ("T-HND", "BK-TINH", "awaiting_decision", 2),
    ("BTP-TGPL", "BK-TTG", "council_review", 1), ("BTP-TGPL", "BK-TTG", "awaiting_submission", 2),
    ("BTP-TGPL", "BK-BO", "intake", 0), ("BTP-TGPL", "BK-BO", "awaiting_decision", 2),
]  # fmt: skip


def _more_at_the_levels(count: int) -> None:
    """`count` more dossiers of each row of AT_THE_LEVEL, held by the first province or the
    ministry (written directly, as `_more_provinces` does: the route is not what is measured)."""
    from dossiers import access, lifecycle, services

    world = World()
    admin = world.user("admin")
    for i in range(count):
        for unit, form, state, step in AT_THE_LEVEL:
            dossier = services.dossier_create(
                actor=admin, organization=world.org(unit), award_form=world.form(form),
                year=2025, title=f"Cấp {unit} {form} {state} {i}",
                nominees=[{"kind": "collective", "name": f"Tập thể {i}", "organization": unit}],
            )  # fmt: skip
            dossier.state, dossier.route_step = state, step - 1
            authority = lifecycle.step_on(dossier)
            dossier.save(update_fields=["state", "route_step", "holder"])
            access.on_held(dossier, authority)


@pytest.mark.parametrize(
    "username,url",
    [
        ("t-board-officer", "/"), ("t-board-officer", "/api/v1/dossiers/"),
        ("t-council-secretary", "/"), ("t-council-secretary", "/api/v1/ballots/"),
        ("t-chair", "/"), ("t-chair", "/api/v1/dossiers/"),
        ("m-board-officer", "/"), ("m-council-secretary", "/"), ("minister", "/"),
        ("t2-board-officer", "/"), ("board-officer", "/"),
    ],
)  # fmt: skip
def test_inboxes_and_lists_are_constant_with_the_number_of_the_levels_dossiers(username, url):
    """A level's board, council and head: their home page (the inbox) and lists cost the same
    with 5 or 1 more dossiers at each of their stages, which they do find in their inbox."""
    from django.contrib.auth import get_user_model

    from workflows.selectors import dossier_inbox

    user = get_user_model().objects.get(username=username)
    client = Client()
    signin(client, username)
    _more_at_the_levels(1)
    client.get(url)  # warm: the organisation tree is read once per change
    before = _queries(lambda: client.get(url))
    waiting = dossier_inbox(user).count()
    _more_at_the_levels(4)
    after = _queries(lambda: client.get(url))
    assert after == before
    grows = username.startswith(("t-", "m-", "minister"))
    assert (dossier_inbox(user).count() > waiting) is grows


def test_a_list_row_reads_no_eligibility_checks_and_writes_moments_and_overdue_as_before(api):
    """A list's nominees leave their checks (a JSON document each) unread; the rows' moments are
    written as DRF writes them in the site's time zone, and `overdue` is read against today."""
    client = api("inspector")
    late = Dossier.objects.exclude(state__in=lifecycle.TERMINAL).order_by("id").first()
    Dossier.objects.filter(pk=late.pk).update(due_date=calendar.today() - datetime.timedelta(1))
    with CaptureQueriesContext(connection) as context:
        rows = client.get("/api/v1/dossiers/?page_size=200").json()["results"]
    nominee_reads = [q["sql"] for q in context.captured_queries if "dossiers_nominee" in q["sql"]]
    assert nominee_reads and not any('"checks"' in sql for sql in nominee_reads)
    row = next(row for row in rows if row["id"] == late.pk)
    dossier = Dossier.objects.get(pk=late.pk)
    assert row["created_at"] == serializers.DateTimeField().to_representation(dossier.created_at)
    assert row["created_at"].endswith("+07:00")
    assert row["overdue"] is True
    assert all(
        r["overdue"] is (r["due_date"] is not None and r["due_date"] < str(calendar.today()))
        for r in rows
    )
