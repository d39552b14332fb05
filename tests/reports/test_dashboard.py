"""The dashboard per role and its JSON (GET /api/v1/reports/summary/): the numbers, scoped to what
the user may see, in a constant number of queries; the page for the boards, the heads, the
inspector and the administrator, not for a proposing unit."""

import datetime
import statistics

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from audit.models import LedgerEvent
from demo.world import act, collective, start
from dossiers.models import Dossier
from reports.summary import dashboard_summary, percentile, stage_times
from tests.signin import signin
from workflows import services as wf


def test_percentile_is_nearest_rank():
    assert percentile([3.0, 5.0], 0.9) == 5.0
    assert percentile(list(range(1, 11)), 0.9) == 9
    assert percentile([7.0], 0.5) == 7.0


def _drafts(world, year: int, days: list[int]) -> list[Dossier]:
    """Dossiers that stay `days` in draft before their head submits them (to the board's intake)."""
    made = []
    for stay in days:
        with time_machine.travel(datetime.datetime(2033, 1, 5, 9, tzinfo=datetime.UTC)) as clock:
            title = f"Bảng điều khiển {stay}"
            dossier = start(world, "VUFO", "BK-TTG", title, [collective("VUFO")], year)
            clock.shift(datetime.timedelta(days=stay))
            made.append(act(world, "head-VUFO", dossier, "submit"))
    return made


def _stays_folded_in_python(dossier_ids) -> tuple[dict[str, list[float]], int]:
    """The stays as the dashboard once folded them from every event, in Python (the oracle
    the database's query must agree with), and how many events repeated the state."""
    events = (
        LedgerEvent.objects.filter(dossier_id__in=dossier_ids)
        .exclude(to_state="")
        .order_by("dossier_id", "seq")
        .values_list("dossier_id", "at", "to_state")
    )
    stays: dict[str, list[float]] = {}
    current, repeats = None, 0
    for dossier, at, to_state in events:
        if current is None or current[0] != dossier:
            current = (dossier, to_state, at)
        elif to_state == current[1]:
            repeats += 1
        else:
            stays.setdefault(current[1], []).append((at - current[2]).total_seconds() / 86400)
            current = (dossier, to_state, at)
    return stays, repeats


def test_the_stage_times_agree_with_the_events_folded_one_by_one(world):
    """The database's ranking gives what folding every event in Python gave: the count, the
    median (of one or two middle stays) and the nearest-rank 90th percentile of each state,
    repeated states (an officer taking and releasing a dossier) continuing a stay."""
    made = _drafts(world, 2033, [1, 2, 4, 7])
    for dossier in made[:2]:
        for officer in ("board-officer", "board-officer-2"):
            wf.dossier_assignment(actor=world.user(officer), dossier=dossier.pk, action="claim")
            wf.dossier_assignment(actor=world.user(officer), dossier=dossier.pk, action="release")
    ids = Dossier.objects.values("pk")
    stays, repeats = _stays_folded_in_python(ids)
    assert repeats >= 8  # the claims and releases, and the demo's own
    expected = {
        state: (len(v), round(statistics.median(v), 1), round(percentile(v, 0.9), 1))
        for state, v in stays.items()
    }
    got = {r["state"]: (r["count"], r["median_days"], r["p90_days"]) for r in stage_times(ids)}
    assert got == expected
    assert {"draft", "bloc_voting", "intake"} <= set(got)
    assert got["draft"][0] > 4  # the demo's drafts and these
    with CaptureQueriesContext(connection) as queries:
        stage_times(ids)
    assert len(queries) == 1


def test_the_summary_numbers(api, world, seeded_awards):
    _drafts(world, 2033, [3, 5])
    data = api("inspector").get("/api/v1/reports/summary/?year=2033").json()
    assert data["year"] == 2033
    assert data["totals"]["dossiers"] == 2
    [draft] = [r for r in data["stage_times"] if r["state"] == "draft"]
    assert (draft["count"], draft["median_days"], draft["p90_days"]) == (2, 4.0, 5.0)
    [intake] = [r for r in data["by_state"] if r["state"] == "intake"]
    assert (intake["count"], intake["level"], intake["stage"]) == (2, "TTG", "intake")

    data = api("inspector").get("/api/v1/reports/summary/?year=2031").json()
    awards = {(r["award_form"], r["year"]): r["count"] for r in data["awards"]}
    assert awards == {("CO-TD-CP", 2031): 2, ("BK-TTG", 2031): 4}
    assert data["totals"]["awarded"] == 6
    assert {r["state"]: r["count"] for r in data["by_state"]} == {"decided": 3}


def test_the_summary_is_scoped_to_what_the_user_sees(api, seeded_awards):
    data = api("t-board-officer").get("/api/v1/reports/summary/?year=2031").json()
    assert data["totals"] == {"dossiers": 0, "open": 0, "overdue": 0, "awarded": 0}
    ballots = api("t-board-officer").get("/api/v1/reports/summary/").json()["ballots"]
    assert ballots and all("tỉnh" in b["name"] for b in ballots)
    assert all(b["eligible"] >= b["voted"] > 0 for b in ballots)


def test_the_ballots_turnout(api):
    ballots = api("inspector").get("/api/v1/reports/summary/?year=2023").json()["ballots"]
    central = [b for b in ballots if b["name"].startswith("Khối thi đua các tổ chức")]
    assert central and central[-1]["eligible"] == 9 and central[-1]["voted"] == 9
    assert central[-1]["turnout_percent"] == 100.0


def test_the_summary_costs_the_same_queries_whatever_the_data(world, seeded_awards):
    inspector = world.user("inspector")
    dashboard_summary(inspector)  # the roles and permissions read once per user object
    with CaptureQueriesContext(connection) as before:
        dashboard_summary(inspector)
    _drafts(world, 2034, [1, 2, 4])
    with CaptureQueriesContext(connection) as after:
        dashboard_summary(inspector)
    assert len(after) == len(before) <= 8


@pytest.mark.parametrize("query", ["year=abc", "year=3000", "year=%00"])
def test_a_bad_year_is_a_400(api, query):
    assert api("inspector").get(f"/api/v1/reports/summary/?{query}").status_code == 400


@pytest.mark.parametrize(
    "persona", ["board-officer", "board-head", "t-board-officer", "pm", "t-chair", "inspector",
                "admin"],
)  # fmt: skip
def test_the_dashboard_renders_for_each_role(db, persona):
    client = Client()
    assert signin(client, persona)
    page = client.get("/reports/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="chart-states"' in html and "<table>" in html
    assert "vendor/chart.js-4.5.1/chart.umd.min.js" in html and "js/dashboard.js" in html
    assert "/api/v1/reports/summary/" in html
    assert "<script>" not in html  # no inline script (CSP)
    assert client.get("/api/v1/reports/summary/").status_code == 200


@pytest.mark.parametrize("persona", ["proposer-HLHPN", "head-T-LDLD", "voter-MTTQ"])
def test_the_dashboard_is_not_for_a_proposing_unit(db, api, persona):
    client = Client()
    assert signin(client, persona)
    page = client.get("/reports/")
    assert page.status_code == 403
    assert "/reports/" not in client.get("/").content.decode()  # not in the menu
    response = api(persona).get("/api/v1/reports/summary/")
    assert response.status_code == 403 and response.json()["detail"]
