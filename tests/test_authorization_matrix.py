"""The authorization matrix: every route (UI and API) × a persona of every kind × the dossier
states where it matters, with the status each must get (404 unknown to you, 403 visible but not
yours to do, 409 yours but not now, 2xx/3xx done). Expectations are written out here, not
derived from the code under test; guard tests fail when a route or an action is not listed."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from knox.models import AuthToken
from rest_framework.test import APIClient

from approvals.models import BallotSession, Decision
from demo.world import (
    CENTRAL_CODES,
    SECOND_FACTOR_PERSONAS,
    World,
    act,
    bloc_ballot,
    demo_pdf,
    start,
)
from dossiers import lifecycle, permissions
from dossiers.models import BlocMembership, Dossier, DossierState
from tests.lifecycle_table import EXPECTED
from tests.signin import fresh_code, signin
from workflows import services as wf

pytestmark = pytest.mark.django_db
S = DossierState

PERSONAS = [
    "proposer-HLHPN", "head-HLHPN",          # the proposing unit
    "proposer-HCCB", "head-HCCB",            # another unit (same bloc)
    "voter-MTTQ", "voter-HCCB",              # the bloc's leader of 2023, a member
    "voter-T-HND",                           # a voter of another bloc
    "board-officer", "board-head", "council-secretary", "council-member-1",
    "pm", "president", "t-board-officer", "t-chair", "inspector", "admin",
]  # fmt: skip

# Who sees an HLHPN dossier for the PM's certificate (central bloc, 2023), by state.
SUBMITTED = [s for s in S.values if s != S.DRAFT]
SEES = {
    "proposer-HLHPN": set(S.values), "head-HLHPN": set(S.values),
    "voter-MTTQ": set(SUBMITTED), "voter-HCCB": set(SUBMITTED),
    "board-officer": set(SUBMITTED), "board-head": set(SUBMITTED),
    "pm": {S.AWAITING_DECISION, S.DECIDED, S.REVOKED},
    "inspector": set(S.values), "admin": set(S.values),
}  # fmt: skip
# What each may ever do with it (whatever the state): the rest is 403.
MAY = {
    "head-HLHPN": {"submit", "withdraw"},
    "board-officer": {"accept", "return", "close_notice", "reject", "hold", "release"},
    "board-head": {"accept", "return", "close_notice", "reject", "hold", "release", "forward"},
    "pm": {"revoke"},
}
# The states the matrix drives the dossier to (a PM form passing the bloc).
STATES = [
    S.DRAFT, S.BLOC_VOTING, S.INTAKE, S.RETURNED, S.APPRAISAL, S.ON_HOLD,
    S.AWAITING_DECISION, S.DECIDED, S.REVOKED, S.NOT_APPROVED, S.WITHDRAWN,
]  # fmt: skip
ACTION_PAYLOAD = {"reason": "Matrix", "reason_code": "criteria_not_met"}
PAYLOADS = {"hold": {"reason": "Matrix", "reason_code": "complaint"},
            "revoke": {"reason": "Matrix", "reason_code": "false_declaration"}}  # fmt: skip


def build(world: World) -> dict[str, Dossier]:
    """An HLHPN dossier in each state, through the services."""
    made = {}
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, tzinfo=datetime.UTC), tick=False):
        for state in STATES:
            person = {"kind": "individual", "name": f"Ma trận {state}", "organization": "HLHPN"}
            dossier = start(world, "HLHPN", "BK-TTG", f"Ma trận {state}", [person], 2023)
            path = {
                S.DRAFT: [],
                S.BLOC_VOTING: ["submit"],
                S.INTAKE: ["submit", "ballot"],
                S.RETURNED: ["submit", "ballot", "return"],
                S.APPRAISAL: ["submit", "ballot", "accept"],
                S.ON_HOLD: ["submit", "ballot", "accept", "hold"],
                S.AWAITING_DECISION: ["submit", "ballot", "accept", "forward"],
                S.DECIDED: ["submit", "ballot", "accept", "forward", "sign"],
                S.REVOKED: ["submit", "ballot", "accept", "forward", "sign", "revoke"],
                S.NOT_APPROVED: ["submit", "ballot", "accept", "reject"],
                S.WITHDRAWN: ["submit", "ballot", "withdraw"],
            }[state]
            for step in path:
                if step == "ballot":
                    bloc_ballot(world, "voter-MTTQ", "KHOI-CTXH-TW", 2023, [dossier], CENTRAL_CODES)
                elif step == "sign":
                    batch = wf.decision_prepare(
                        actor=world.user("board-head"), decider="TTG", dossier_ids=[dossier.pk]
                    )
                    wf.decision_sign(
                        actor=world.user("pm"), decision=batch, number=f"M-{dossier.pk}/QĐ-TTg",
                        signed_on=datetime.date(2026, 11, 3),
                    )  # fmt: skip
                else:
                    who = {
                        "submit": "head-HLHPN", "withdraw": "head-HLHPN", "forward": "board-head",
                        "revoke": "pm",
                    }.get(step, "board-officer")  # fmt: skip
                    act(world, who, dossier, step, **PAYLOADS.get(step, ACTION_PAYLOAD))
                dossier.refresh_from_db()
            assert dossier.state == state, (state, dossier.state)
            made[state] = dossier
    return made


def _api(username: str) -> APIClient:
    from django.contrib.auth import get_user_model

    client = APIClient()
    _instance, token = AuthToken.objects.create(
        user=get_user_model().objects.get(username=username)
    )
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _call(client, method: str, url: str, data=None, fmt: str = "json") -> int:
    """Make the request and undo whatever it did, so every row starts from the same world."""
    with transaction.atomic():
        if method == "get":
            status = client.get(url).status_code
        elif fmt == "multipart":
            status = client.post(url, data, format="multipart").status_code
        else:
            status = getattr(client, method)(url, data or {}, format=fmt).status_code
        transaction.set_rollback(True)
    return status


def expected_dossier(persona: str, state: str, route: str, action: str = "") -> int:
    if state not in SEES.get(persona, set()):
        return 404
    if route in ("get", "history"):
        return 200
    editable = state in (S.DRAFT, S.RETURNED)
    if route in ("patch", "attach"):
        if persona in ("proposer-HLHPN", "head-HLHPN"):
            return (200 if route == "patch" else 201) if editable else 409
        return 403
    allowed = action in MAY.get(persona, set())
    if not allowed:
        return 403
    return 200 if action in EXPECTED.get(state, {}) else 409


def test_dossier_routes_matrix():
    world = World()
    dossiers = build(world)
    rows, wrong = 0, []
    for persona in PERSONAS:
        client = _api(persona)
        for state, dossier in dossiers.items():
            base = f"/api/v1/dossiers/{dossier.pk}"
            checks = [
                ("get", "get", f"{base}/", None, "json", ""),
                ("history", "get", f"{base}/history/", None, "json", ""),
                ("patch", "patch", f"{base}/", {"title": "Sửa"}, "json", ""),
                ("attach", "post", f"{base}/attachments/",
                 {"kind": "khac", "file": demo_pdf("m.pdf")}, "multipart", ""),
            ]  # fmt: skip
            for action in lifecycle.DOSSIER_ACTIONS:
                payload = PAYLOADS.get(action, ACTION_PAYLOAD)
                checks.append(
                    ("action", "post", f"{base}/actions/{action}/", payload, "json", action)
                )
            for route, method, url, data, fmt, action in checks:
                want = expected_dossier(persona, state, route, action)
                got = _call(client, method, url, data, fmt)
                rows += 1
                if got != want:
                    wrong.append((persona, state, route, action, want, got))
            # The policy the buttons are drawn from agrees with the API.
            user = world.user(persona)
            if state in SEES.get(persona, set()):
                offered = set(permissions.dossier_actions(user, dossier))
                want_offered = {a for a in MAY.get(persona, set()) if a in EXPECTED.get(state, {})}
                if offered != want_offered:
                    wrong.append((persona, state, "offered", "", want_offered, offered))
    assert not wrong, f"{len(wrong)} of {rows} rows differ: {wrong[:10]}"
    assert rows == len(PERSONAS) * len(STATES) * (4 + len(lifecycle.DOSSIER_ACTIONS))
    # Lists leak nothing: each persona's list holds exactly the matrix dossiers it may see.
    ours = {d.pk: state for state, d in dossiers.items()}
    for persona in PERSONAS:
        listed, url = set(), "/api/v1/dossiers/?year=2023&organization=HLHPN"
        while url:
            page = _api(persona).get(url).json()
            listed |= {row["id"] for row in page["results"] if row["id"] in ours}
            url = page["next"]
        want = {pk for pk, state in ours.items() if state in SEES.get(persona, set())}
        assert listed == want, persona
        browser = Client()
        assert signin(browser, persona)
        html = browser.get("/dossiers/?page=1").content.decode()
        for pk, state in ours.items():
            shown = f'href="/dossiers/{pk}/"' in html
            assert not shown or state in SEES.get(persona, set()), (persona, state)


def test_ui_dossier_routes_matrix():
    world = World()
    dossiers = build(world)
    wrong, rows = [], 0
    for persona in PERSONAS:
        client = Client()
        assert signin(client, persona)
        for state in (S.DRAFT, S.INTAKE, S.DECIDED):
            dossier = dossiers[state]
            seen = state in SEES.get(persona, set())
            document = f"/dossiers/{dossier.pk}/attachments/{dossier.attachments.first().pk}/"
            checks = [
                ("get", f"/dossiers/{dossier.pk}/", 200 if seen else 404),
                ("get", document, 200 if seen else 404),
                ("get", f"/flow.svg?process={dossier.process.pk}", 200 if seen else 403),
            ]  # fmt: skip
            for action in ("submit", "accept", "revoke"):
                want = expected_dossier(persona, state, "action", action)
                # The browser gets the page back (302) with a message for a refused move.
                checks.append(("post", f"/dossiers/{dossier.pk}/actions/{action}/",
                               {403: 403, 404: 404}.get(want, 302)))  # fmt: skip
            upload_want = {404: 404, 403: 403}.get(expected_dossier(persona, state, "attach"), 302)
            checks.append(("upload", f"/dossiers/{dossier.pk}/upload/", upload_want))
            for kind, url, want in checks:
                with transaction.atomic():
                    if kind == "get":
                        got = client.get(url).status_code
                    elif kind == "upload":
                        got = client.post(
                            url, {"kind": "khac", "file": demo_pdf("u.pdf")}
                        ).status_code
                    else:
                        got = client.post(url, {"reason": "Matrix"}).status_code
                    transaction.set_rollback(True)
                rows += 1
                if got != want:
                    wrong.append((persona, state, url, want, got))
    assert not wrong, f"{len(wrong)} of {rows} rows differ: {wrong[:10]}"


# Routes that are not about one dossier: persona → status (others: the default).
PAGES = {
    "/": {"*": 200},
    "/dossiers/": {"*": 200},
    "/decisions/": {"*": 200},
    "/flow.svg": {"*": 200},
    "/dossiers/new/": {"*": 200},
    # the leaders of 2023: MTTQ (central bloc), T-HND (provincial cluster); the council secretary
    "/ballots/new/": {"*": 403, "voter-MTTQ": 200, "voter-T-HND": 200, "council-secretary": 200},
    "/audit/": {"*": 403, "inspector": 200, "admin": 200},
    "/audit/verify/": {"*": 403, "inspector": 200, "admin": 200},
    "/audit/export.jsonl": {"*": 403, "inspector": 200, "admin": 200},
    "/admin/": {"*": 302, "admin": 200},
}
API_LISTS = {
    "/api/v1/award-forms/": {"*": 200},
    "/api/v1/organizations/": {"*": 200},
    "/api/v1/blocs/?year=2023": {"*": 200},
    "/api/v1/dossiers/": {"*": 200},
    "/api/v1/decisions/": {"*": 200},
    "/api/v1/ballots/": {"*": 200},
    "/api/v1/audit/verify/": {"*": 403, "inspector": 200, "admin": 200},
    "/api/v1/audit/events/": {"*": 403, "inspector": 200, "admin": 200},
}


def test_pages_and_lists_matrix():
    wrong, rows = [], 0
    for persona in PERSONAS:
        browser, api = Client(), _api(persona)
        assert signin(browser, persona)
        for table, client in ((PAGES, browser), (API_LISTS, api)):
            for url, statuses in table.items():
                want = statuses.get(persona, statuses["*"])
                got = client.get(url).status_code
                rows += 1
                if got != want:
                    wrong.append((persona, url, want, got))
    assert not wrong, f"{len(wrong)} of {rows} rows differ: {wrong}"


def _ballot_expect(persona: str, route: str) -> int:
    member = persona in ("voter-MTTQ", "voter-HCCB")
    sees = member or persona in ("board-officer", "board-head", "inspector", "admin")
    if not sees:
        return 404
    if route == "get":
        return 200
    if route == "vote":
        return 201 if member else 403
    return 200 if persona == "voter-MTTQ" else 403  # close


def test_ballot_and_decision_routes_matrix():
    world = World()
    session = BallotSession.objects.filter(state="open", bloc__code="KHOI-CTXH-TW").first()
    voted = set(session.casts.values_list("voter__organization__code", flat=True))
    nominee = str(session.items.first().nominee_id)
    draft = Decision.objects.filter(decider="TTG", state="draft").first()
    wrong, rows = [], 0
    for persona in PERSONAS:
        client = _api(persona)
        base = f"/api/v1/ballots/{session.pk}"
        checks = [
            ("get", "get", f"{base}/", None, _ballot_expect(persona, "get")),
            ("vote", "post", f"{base}/votes/", {"choices": {nominee: "yes"}},
             _ballot_expect(persona, "vote")),
            ("close", "post", f"{base}/close/", {}, _ballot_expect(persona, "close")),
        ]  # fmt: skip
        if persona == "voter-HCCB" and "HCCB" in voted:
            checks[1] = (*checks[1][:4], 409)
        sees_decision = persona in ("board-officer", "board-head", "pm", "inspector", "admin")
        durl = f"/api/v1/decisions/{draft.pk}"
        sign = {"number": "999/QĐ-TTg", "signed_on": "2026-11-20", "otp": ""}
        checks += [
            ("decision", "get", f"{durl}/", None, 200 if sees_decision else 404),
            ("sign", "post", f"{durl}/sign/", sign,
             (200 if persona == "pm" else 403) if sees_decision else 404),
            # A signature-like act: the persona's new code first (none without a device: 403).
            ("propose", "post", f"{durl}/propose/", {"otp": ""},
             (409 if persona in SECOND_FACTOR_PERSONAS else 403) if sees_decision else 404),
        ]  # fmt: skip
        for route, method, url, data, want in checks:
            if data and "otp" in data:  # each signature carries a new code of the persona
                data = {**data, "otp": fresh_code(persona)}
            got = _call(client, method, url, data)
            rows += 1
            if got != want:
                wrong.append((persona, route, want, got))
    assert not wrong, f"{len(wrong)} of {rows} rows differ: {wrong}"
    assert world


def test_object_level_cases():
    """The cases the issue names: a proposer on another unit's draft, a voter of another bloc,
    a voter of the previous year, and the inspector trying every write."""
    world = World()
    hlhpn_draft = Dossier.objects.filter(organization__code="HLHPN", state=S.DRAFT).first()
    assert _call(_api("proposer-HCCB"), "get", f"/api/v1/dossiers/{hlhpn_draft.pk}/") == 404
    assert (
        _call(_api("proposer-HCCB"), "patch", f"/api/v1/dossiers/{hlhpn_draft.pk}/", {"title": "x"})
        == 404
    )
    voting = Dossier.objects.get(state=S.BLOC_VOTING, organization__code="VUSTA")
    assert _call(_api("voter-T-HND"), "get", f"/api/v1/dossiers/{voting.pk}/") == 404
    # VUFO leaves the central bloc in 2024: its voter still sees 2023, not a 2024 dossier.
    BlocMembership.objects.get(
        bloc__code="KHOI-CTXH-TW", year=2024, organization__code="VUFO"
    ).delete()
    person = {"kind": "individual", "name": "Năm sau", "organization": "HND"}
    next_year = start(world, "HND", "BK-TTG", "Năm 2024", [person], 2024)
    act(world, "head-HND", next_year, "submit")
    assert _call(_api("voter-VUFO"), "get", f"/api/v1/dossiers/{next_year.pk}/") == 404
    assert _call(_api("voter-HND"), "get", f"/api/v1/dossiers/{next_year.pk}/") == 200
    assert _call(_api("voter-VUFO"), "get", f"/api/v1/dossiers/{voting.pk}/") == 200
    # The inspector reads everything and every write is refused.
    inspector = _api("inspector")
    for dossier in Dossier.objects.all()[:40]:
        for action in lifecycle.DOSSIER_ACTIONS:
            assert (
                _call(
                    inspector,
                    "post",
                    f"/api/v1/dossiers/{dossier.pk}/actions/{action}/",
                    ACTION_PAYLOAD,
                )
                == 403
            )
        assert _call(inspector, "patch", f"/api/v1/dossiers/{dossier.pk}/", {"title": "x"}) == 403
    session = BallotSession.objects.filter(state="open").first()
    assert _call(inspector, "post", f"/api/v1/ballots/{session.pk}/close/", {}) == 403


# ---- guards: nothing exists that the matrix does not cover ---------------------------------

COVERED = {
    "api/v1/dossiers/<int:pk>/", "api/v1/dossiers/<int:pk>/history/",
    "api/v1/dossiers/<int:pk>/attachments/", "api/v1/dossiers/<int:pk>/actions/<slug:action>/",
    "api/v1/award-forms/", "api/v1/organizations/", "api/v1/blocs/", "api/v1/dossiers/",
    "api/v1/decisions/", "api/v1/decisions/<int:pk>/", "api/v1/decisions/<int:pk>/sign/",
    "api/v1/decisions/<int:pk>/propose/", "api/v1/audit/verify/", "api/v1/audit/events/",
    "api/v1/ballots/", "api/v1/ballots/<int:pk>/", "api/v1/ballots/<int:pk>/votes/",
    "api/v1/ballots/<int:pk>/close/",
    "", "dossiers/", "dossiers/new/", "dossiers/<int:pk>/",
    "dossiers/<int:pk>/attachments/<int:attachment_id>/", "dossiers/<int:pk>/upload/",
    "dossiers/<int:pk>/actions/<slug:action>/", "decisions/", "flow.svg", "ballots/new/",
    "audit/", "audit/verify/", "audit/export.jsonl",
}  # fmt: skip
# Routes tested elsewhere, with where.
ELSEWHERE = {
    "api/v1/auth/token/": "tests/test_auth.py",
    "api/v1/ballots/<int:pk>/minutes/": "tests/approvals/test_ballots.py",
    "api/schema/": "tests/test_site.py", "api/docs/": "tests/test_site.py",
    "i18n/setlang/": "tests/test_site.py", "accounts/login/": "tests/test_auth.py",
    "accounts/logout/": "tests/test_auth.py",
    "decisions/<int:pk>/": "tests/test_auth.py (re-authentication before signing)",
    "ballots/<int:pk>/": "tests/approvals/test_ballots.py",
}  # fmt: skip


def _routes(patterns=None, prefix: str = "") -> set[str]:
    found = set()
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        text = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if text.startswith("admin/"):
                continue  # the admin: staff only (the admin persona), see PAGES
            found |= _routes(pattern.url_patterns, text)
        elif isinstance(pattern, URLPattern):
            found.add(text)
    return found


def test_every_route_is_in_the_matrix():
    unlisted = _routes() - COVERED - set(ELSEWHERE)
    assert not unlisted, f"routes the authorization matrix does not list: {unlisted}"


def test_every_action_is_in_the_matrix():
    assert set().union(*MAY.values()) == set(lifecycle.DOSSIER_ACTIONS)


# Transitions `build()` performs on the way to its states without a person's action route:
# the bloc ballot closing (record_bloc_vote) and the signed batch (decide).
BUILT = {(S.BLOC_VOTING, "record_bloc_vote"), (S.AWAITING_DECISION, "decide")}
# Declared transitions whose source state the matrix does not build, each exercised by the
# route tests named here instead. Keep it short: a new transition belongs in the matrix.
NOT_IN_MATRIX = {
    (S.PUBLIC_NOTICE, "close_notice"): "tests/workflows/test_routes.py",
    (S.PUBLIC_NOTICE, "withdraw"): "no test yet (gap: a withdrawal during the notice)",
    (S.COUNCIL_REVIEW, "record_council_vote"): "tests/workflows/test_routes.py",
    (S.COUNCIL_REVIEW, "withdraw"): "no test yet (gap: a withdrawal before the council)",
    (S.AWAITING_DECISION, "propose_to_president"): "tests/workflows/test_routes.py",
    (S.AWAITING_PRESIDENT, "decide"): "tests/workflows/test_routes.py",
}


def test_every_declared_transition_is_exercised_by_the_matrix():
    """Each (source, action) of workflows/lifecycle.py is met by the matrix's data: a route
    call some persona may make (expected 200) from a state the matrix builds, or a step of
    `build()`; the few listed in NOT_IN_MATRIX are not, and that list may not go stale."""
    from workflows.lifecycle import transitions

    declared = {(source, action) for source, action, _ in transitions()}
    may = set().union(*MAY.values())
    routed = {
        (state, action)
        for state in STATES
        for action in lifecycle.DOSSIER_ACTIONS
        if action in may and action in EXPECTED.get(state, {})
    }
    exercised = routed | BUILT
    assert BUILT <= declared
    assert declared - exercised == set(NOT_IN_MATRIX)
    assert not set(NOT_IN_MATRIX) & exercised
