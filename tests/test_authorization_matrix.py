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

from approvals import ballots
from approvals import services as approval_services
from approvals.models import BallotSession, Decision
from demo.world import (
    CENTRAL_CODES,
    SECOND_FACTOR_PERSONAS,
    World,
    act,
    bloc_ballot,
    consult,
    demo_pdf,
    person,
    start,
)
from dossiers import lifecycle
from dossiers.models import BlocMembership, Dossier, DossierState
from tests.lifecycle_table import EXPECTED
from tests.signin import fresh_code, signin
from workflows import policy

pytestmark = pytest.mark.django_db
S = DossierState

PERSONAS = [
    "proposer-HLHPN", "head-HLHPN",          # the proposing unit
    "proposer-HCCB", "head-HCCB",            # another unit (same bloc)
    "voter-MTTQ", "voter-HCCB",              # the bloc's leader of 2023, a member
    "voter-T-HND",                           # a voter of another bloc
    "board-officer", "board-head", "council-secretary", "council-member-1",
    "pm", "president", "t-board-officer", "t-chair", "inspector", "admin",
    # the levels: the first province's unit and council, the second province, the ministry
    "proposer-T-LDLD", "head-T-LDLD", "t-council-secretary",
    "t2-board-officer", "t2-chair", "proposer-T2-HND", "head-T2-HND",
    "m-board-officer", "minister", "proposer-BTP-THADS", "head-BTP-THADS",
    # every other kind of persona of the levels: council members and secretaries, a second
    # province's cluster voter, second officers (no head role); the consulted bodies have their
    # own rows below (CONSULTED)
    "t-council-member-1", "t2-council-secretary", "m-council-secretary", "m-council-member-1",
    "voter-T2-HND", "t2-board-officer-2", "m-board-officer-2", "board-officer-2",
]  # fmt: skip

# The dossiers the matrix builds: key → (proposing unit, state, the level holding it).
# An HLHPN dossier for the PM's certificate (a central unit, the central bloc, 2023) in each state
# the central route reaches, keyed by its state; the PM's certificate of a first-province unit
# (T-LDLD, 2025: no cluster that year) through the province's intake, council and its chair's
# submission, then at the central intake; the same unit's PM certificate of 2023 at its cluster's
# vote (CUM-CTXH-T, led by T-HND that year); a ministry unit's Labour Order (BTP-THADS, 2025) at
# the ministry's public notice and awaiting the minister's submission; the province's and the
# ministry's own certificates (BK-TINH, BK-BO, 2025) awaiting their own head's decision.
STATES = [
    S.DRAFT, S.BLOC_VOTING, S.INTAKE, S.RETURNED, S.APPRAISAL, S.ON_HOLD,
    S.AWAITING_DECISION, S.DECIDED, S.REVOKED, S.NOT_APPROVED, S.WITHDRAWN,
]  # fmt: skip
CASES: dict[str, tuple[str, str, str | None]] = {
    **{state: ("HLHPN", state, None if state == S.DRAFT else "TTG") for state in STATES},
    "t-intake": ("T-LDLD", S.INTAKE, "T-UBND"),
    "t-council_review": ("T-LDLD", S.COUNCIL_REVIEW, "T-UBND"),
    "t-awaiting_submission": ("T-LDLD", S.AWAITING_SUBMISSION, "T-UBND"),
    "t-signed": ("T-LDLD", S.INTAKE, "TTG"),  # the chair has signed: the central intake
    "m-public_notice": ("BTP-THADS", S.PUBLIC_NOTICE, "BTP"),
    "m-awaiting_submission": ("BTP-THADS", S.AWAITING_SUBMISSION, "BTP"),
    "t-bloc_voting": ("T-LDLD", S.BLOC_VOTING, "T-UBND"),
    "t-awaiting_decision": ("T-LDLD", S.AWAITING_DECISION, "T-UBND"),  # the chair's decision
    "m-awaiting_decision": ("BTP-THADS", S.AWAITING_DECISION, "BTP"),  # the minister's
}
TW = set(STATES)  # the HLHPN dossiers
TW_SUBMITTED = TW - {S.DRAFT}
PROVINCE = {"t-intake", "t-council_review", "t-awaiting_submission", "t-signed"}
MINISTRY = {"m-public_notice", "m-awaiting_submission"}
# At the province's cluster vote the province's board, council and chair already see it (their
# level holds it), and so do the cluster's members; the central level does not.
T_CLUSTER = {"t-bloc_voting"}
# A province's or a ministry's own form has no council vote: its council never sees it.
T_OWN, M_OWN = {"t-awaiting_decision"}, {"m-awaiting_decision"}

# Who sees which of them. A level's board, council and head see a dossier once their level holds
# it and keep seeing it after it moves on; the central board sees a provincial unit's dossier
# only once the province's chair has signed the submission; the PM from the forward on.
SEES = {
    "proposer-HLHPN": TW, "head-HLHPN": TW,
    "voter-MTTQ": TW_SUBMITTED, "voter-HCCB": TW_SUBMITTED,
    "board-officer": TW_SUBMITTED | {"t-signed"}, "board-head": TW_SUBMITTED | {"t-signed"},
    "pm": {S.AWAITING_DECISION, S.DECIDED, S.REVOKED},
    "proposer-T-LDLD": PROVINCE | T_CLUSTER | T_OWN, "head-T-LDLD": PROVINCE | T_CLUSTER | T_OWN,
    "t-board-officer": PROVINCE | T_CLUSTER | T_OWN, "t-chair": PROVINCE | T_CLUSTER | T_OWN,
    "t-council-secretary": PROVINCE | T_CLUSTER, "t-council-member-1": PROVINCE | T_CLUSTER,
    "voter-T-HND": T_CLUSTER,
    "proposer-BTP-THADS": MINISTRY | M_OWN, "head-BTP-THADS": MINISTRY | M_OWN,
    "m-board-officer": MINISTRY | M_OWN, "minister": MINISTRY | M_OWN,
    "m-board-officer-2": MINISTRY | M_OWN,
    "m-council-secretary": MINISTRY, "m-council-member-1": MINISTRY,
    "board-officer-2": TW_SUBMITTED | {"t-signed"},
    "inspector": set(CASES), "admin": set(CASES),
}  # fmt: skip
# What each may ever do with a dossier held by a level ("*": whichever), whatever its state; the
# rest is 403. Board roles act for the board of the level holding the dossier; the head of a
# ministry or a province signs its submission; the PM revokes (the matrix's decided dossier is a
# PM form). The t-, t2- and m- board officers hold their board's head role too.
BOARD = {"accept", "return", "close_notice", "reject", "hold", "release"}
MAY: dict[str, dict[str, set[str]]] = {
    "head-HLHPN": {"*": {"submit", "withdraw"}},
    "head-T-LDLD": {"*": {"submit", "withdraw"}},
    "head-BTP-THADS": {"*": {"submit", "withdraw"}},
    "board-officer": {"TTG": BOARD},
    "board-officer-2": {"TTG": BOARD},
    "m-board-officer-2": {"BTP": BOARD},
    "board-head": {"TTG": BOARD | {"forward"}},
    "t-board-officer": {"T-UBND": BOARD | {"forward"}},
    "t2-board-officer": {"T2-UBND": BOARD | {"forward"}},
    "m-board-officer": {"BTP": BOARD | {"forward"}},
    "t-chair": {"T-UBND": {"sign_submission"}},
    "t2-chair": {"T2-UBND": {"sign_submission"}},
    "minister": {"BTP": {"sign_submission"}},
    "pm": {"TTG": {"revoke"}},
}
# Moves the persona may make now whose own guard still refuses them (409 with the guard's code).
GUARDED = {("m-public_notice", "close_notice")}  # its ten working days have not run
ACTION_PAYLOAD = {"reason": "Matrix", "reason_code": "criteria_not_met"}
PAYLOADS = {"hold": {"reason": "Matrix", "reason_code": "complaint"},
            "revoke": {"reason": "Matrix", "reason_code": "false_declaration"}}  # fmt: skip
T_COUNCIL = [f"t-council-member-{i}" for i in range(1, 4)]
M_COUNCIL = [f"m-council-member-{i}" for i in range(1, 4)]


def _council(world: World, secretary: str, council: str, members: list[str], dossier) -> None:
    """The council's ballot on the dossier's nominees: every member votes yes, then it closes."""
    nominees = [str(n.pk) for n in dossier.nominees.all()]
    session = ballots.ballot_open(
        actor=world.user(secretary), year=dossier.year, council_code=council,
        nominee_ids=[int(n) for n in nominees],
    )  # fmt: skip
    for member in members:
        ballots.ballot_cast(
            actor=world.user(member), session=session,
            choices=dict.fromkeys(nominees, "yes"), conflicts=[],
        )  # fmt: skip
    ballots.ballot_close(actor=world.user(secretary), session=session)


def _start(world: World, unit: str, form: str, key: str, year: int) -> Dossier:
    """A person and a collective: the bloc votes on the collective (never on individuals)."""
    nominee = person(f"Ma trận {key}", unit, year=year)
    team = {"kind": "collective", "name": f"Tập thể ma trận {key}", "organization": unit}
    return start(world, unit, form, f"Ma trận {key}", [nominee, team], year)


def build(world: World) -> dict[str, Dossier]:
    """Each dossier of CASES, through the services."""
    made = {}
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, tzinfo=datetime.UTC), tick=False):
        for state in STATES:
            dossier = _start(world, "HLHPN", "BK-TTG", state, 2023)
            path = {
                S.DRAFT: [],
                S.BLOC_VOTING: ["submit"],
                S.INTAKE: ["submit", "ballot"],
                S.RETURNED: ["submit", "ballot", "return"],
                S.APPRAISAL: ["submit", "ballot", "accept", "consult"],
                S.ON_HOLD: ["submit", "ballot", "accept", "hold"],
                S.AWAITING_DECISION: ["submit", "ballot", "accept", "consult", "forward"],
                S.DECIDED: ["submit", "ballot", "accept", "consult", "forward", "sign"],
                S.REVOKED: ["submit", "ballot", "accept", "consult", "forward", "sign", "revoke"],
                S.NOT_APPROVED: ["submit", "ballot", "accept", "reject"],
                S.WITHDRAWN: ["submit", "ballot", "withdraw"],
            }[state]
            for step in path:
                if step == "ballot":
                    bloc_ballot(world, "voter-MTTQ", "KHOI-CTXH-TW", 2023, [dossier], CENTRAL_CODES)
                elif step == "consult":  # both bodies asked and agreeing: the forward may go
                    consult(world, "board-officer", dossier)
                elif step == "sign":
                    batch = approval_services.decision_create(
                        actor=world.user("board-head"), decider="TTG", dossier_ids=[dossier.pk]
                    )
                    approval_services.decision_sign(
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
            made[state] = dossier
        # The first province: its board's intake, its council's vote, its chair's submission.
        for key in sorted(PROVINCE):
            dossier = _start(world, "T-LDLD", "BK-TTG", key, 2025)
            act(world, "head-T-LDLD", dossier, "submit")
            if key != "t-intake":
                act(world, "t-board-officer", dossier, "accept")
            if key in ("t-awaiting_submission", "t-signed"):
                _council(world, "t-council-secretary", "T-HDTDKT", T_COUNCIL, dossier)
            if key == "t-signed":
                act(world, "t-chair", dossier, "sign_submission")
            made[key] = dossier
        # The ministry: its notice, posted on 2 November, has run by the 20th; its council votes.
        ministry = _start(world, "BTP-THADS", "HCLD-3", "m-awaiting_submission", 2025)
        act(world, "head-BTP-THADS", ministry, "submit")
        act(world, "m-board-officer", ministry, "accept")
    with time_machine.travel(datetime.datetime(2026, 11, 20, 9, tzinfo=datetime.UTC), tick=False):
        act(world, "m-board-officer", ministry, "close_notice", **ACTION_PAYLOAD)
        _council(world, "m-council-secretary", "BTP-HDTDKT", M_COUNCIL, ministry)
        made["m-awaiting_submission"] = ministry
    # Posted today, so its working days cannot have run while the matrix asks.
    notice = _start(world, "BTP-THADS", "HCLD-3", "m-public_notice", 2025)
    act(world, "head-BTP-THADS", notice, "submit")
    act(world, "m-board-officer", notice, "accept")
    made["m-public_notice"] = notice
    # The first province's cluster of 2023 votes on the collective; the person waits for it.
    cluster = _start(world, "T-LDLD", "BK-TTG", "t-bloc_voting", 2023)
    act(world, "head-T-LDLD", cluster, "submit")
    made["t-bloc_voting"] = cluster
    # The level's own forms: its board accepts and appraises, then its head decides.
    for key, unit, form, board in (
        ("t-awaiting_decision", "T-LDLD", "BK-TINH", "t-board-officer"),
        ("m-awaiting_decision", "BTP-THADS", "BK-BO", "m-board-officer"),
    ):
        own = _start(world, unit, form, key, 2025)
        act(world, f"head-{unit}", own, "submit")
        act(world, board, own, "accept")
        act(world, board, own, "forward")
        made[key] = own
    for key, dossier in made.items():
        dossier.refresh_from_db()
        unit, state, holder = CASES[key]
        got = (dossier.organization.code, dossier.state, lifecycle.holder_code(dossier))
        assert got == (unit, state, holder), (key, got)
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


# A province's chair and a minister decide their level's own forms, and so revoke them (a PM's
# form is the PM's to revoke, above).
REVOKES = {"t-chair": T_OWN, "minister": M_OWN}


def may(persona: str, case: str) -> set[str]:
    """What the persona may do with the dossier of `case` by its roles (MAY, by its holder;
    REVOKES, by its decider)."""
    rows = MAY.get(persona, {})
    decides = {"revoke"} if case in REVOKES.get(persona, set()) else set()
    return rows.get("*", set()) | rows.get(CASES[case][2] or "", set()) | decides


def expected_dossier(persona: str, case: str, route: str, action: str = "") -> int:
    if case not in SEES.get(persona, set()):
        return 404
    if route in ("get", "history"):
        return 200
    unit, state, _holder = CASES[case]
    if route in ("patch", "attach"):
        if persona in (f"proposer-{unit}", f"head-{unit}"):
            editable = state in (S.DRAFT, S.RETURNED)
            return (200 if route == "patch" else 201) if editable else 409
        return 403
    if action not in may(persona, case):
        return 403
    if action not in EXPECTED.get(state, {}) or (case, action) in GUARDED:
        return 409
    return 200


def test_dossier_routes_matrix():
    world = World()
    dossiers = build(world)
    rows, wrong = 0, []
    for persona in PERSONAS:
        client = _api(persona)
        for case, dossier in dossiers.items():
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
                want = expected_dossier(persona, case, route, action)
                got = _call(client, method, url, data, fmt)
                rows += 1
                if got != want:
                    wrong.append((persona, case, route, action, want, got))
            # The policy the buttons are drawn from agrees with the API (guards aside).
            user = world.user(persona)
            if case in SEES.get(persona, set()):
                offered = set(policy.actions(user, dossier))
                state = CASES[case][1]
                want_offered = {a for a in may(persona, case) if a in EXPECTED.get(state, {})}
                if offered != want_offered:
                    wrong.append((persona, case, "offered", "", want_offered, offered))
    assert not wrong, f"{len(wrong)} of {rows} rows differ: {wrong[:10]}"
    assert rows == len(PERSONAS) * len(CASES) * (4 + len(lifecycle.DOSSIER_ACTIONS))
    # Lists leak nothing: each persona's list holds exactly the matrix dossiers it may see.
    ours = {d.pk: case for case, d in dossiers.items()}
    lists = ("year=2023&organization=HLHPN", "year=2025&organization=T-LDLD",
             "year=2023&organization=T-LDLD", "year=2025&organization=BTP-THADS")  # fmt: skip
    for persona in PERSONAS:
        listed = set()
        for query in lists:
            url = f"/api/v1/dossiers/?{query}"
            while url:
                page = _api(persona).get(url).json()
                listed |= {row["id"] for row in page["results"] if row["id"] in ours}
                url = page["next"]
        want = {pk for pk, case in ours.items() if case in SEES.get(persona, set())}
        assert listed == want, persona
        browser = Client()
        assert signin(browser, persona)
        html = browser.get("/dossiers/?page=1").content.decode()
        for pk, case in ours.items():
            shown = f'href="/dossiers/{pk}/"' in html
            assert not shown or case in SEES.get(persona, set()), (persona, case)


def test_ui_dossier_routes_matrix():
    world = World()
    dossiers = build(world)
    wrong, rows = [], 0
    for persona in PERSONAS:
        client = Client()
        assert signin(client, persona)
        for case in (S.DRAFT, S.INTAKE, S.DECIDED, "t-awaiting_submission"):
            dossier = dossiers[case]
            seen = case in SEES.get(persona, set())
            document = f"/dossiers/{dossier.pk}/attachments/{dossier.attachments.first().pk}/"
            checks = [
                ("get", f"/dossiers/{dossier.pk}/", 200 if seen else 404),
                ("get", document, 200 if seen else 404),
                ("get", f"/flow.svg?dossier={dossier.pk}", 200 if seen else 403),
            ]  # fmt: skip
            for action in ("submit", "accept", "sign_submission", "revoke"):
                want = expected_dossier(persona, case, "action", action)
                # The browser gets the page back (302) with a message for a refused move.
                checks.append(("post", f"/dossiers/{dossier.pk}/actions/{action}/",
                               {403: 403, 404: 404}.get(want, 302)))  # fmt: skip
            upload_want = {404: 404, 403: 403}.get(expected_dossier(persona, case, "attach"), 302)
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
                    wrong.append((persona, case, url, want, got))
    assert not wrong, f"{len(wrong)} of {rows} rows differ: {wrong[:10]}"


# Routes that are not about one dossier: persona → status (others: the default).
PAGES = {
    "/": {"*": 200},
    "/dossiers/": {"*": 200},
    "/decisions/": {"*": 200},
    "/flow.svg": {"*": 200},
    "/dossiers/new/": {"*": 200},
    # the leaders of 2023: MTTQ (central bloc), T-HND (provincial cluster), T2-HND (the second
    # province's cluster); every council's secretary
    "/ballots/new/": {
        "*": 403,
        "voter-MTTQ": 200,
        "voter-T-HND": 200,
        "voter-T2-HND": 200,
        "council-secretary": 200,
        "t-council-secretary": 200,
        "t2-council-secretary": 200,
        "m-council-secretary": 200,
    },
    # building a decision batch: the head of a level's board
    "/decisions/new/": {
        "*": 403,
        "board-head": 200,
        "t-board-officer": 200,
        "t2-board-officer": 200,
        "m-board-officer": 200,
    },
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


def test_job_routes_matrix(world):
    """A large import's or export's job (jobs/): its owner, inspectors and staff read it (202
    while it waits for the worker); anyone else gets 404. The ledger export's job is an
    inspector's page like the ledger's (403 for others)."""
    from audit import export as ledger_export
    from reports import exports
    from workflows import registry_access

    owner = world.user("board-officer")
    imported = registry_access.history_import_queue(actor=owner, data=b"x", name="x.csv")
    exported = exports.dossier_list_queue(actor=owner, params={"year": "2023"})
    ledger = ledger_export.export_queue(actor=world.user("inspector"))
    readers = {"*": 404, "board-officer": 202, "inspector": 202, "admin": 202}
    api_table = {
        f"/api/v1/registry/imports/{imported.pk}/": readers,
        f"/api/v1/dossiers/exports/{exported.pk}/": readers,
    }
    page_table = {f"/audit/exports/{ledger.pk}/": {"*": 403, "inspector": 202, "admin": 202}}
    wrong, rows = [], 0
    for persona in PERSONAS:
        api = _api(persona)
        for url, statuses in api_table.items():
            want, got = statuses.get(persona, statuses["*"]), api.get(url).status_code
            rows += 1
            if got != want:
                wrong.append((persona, url, want, got))
        if persona in ("inspector", "admin", "board-officer", "proposer-HLHPN"):
            browser = Client()
            assert signin(browser, persona)
            for url, statuses in page_table.items():
                want, got = statuses.get(persona, statuses["*"]), browser.get(url).status_code
                rows += 1
                if got != want:
                    wrong.append((persona, url, want, got))
    assert not wrong, f"{len(wrong)} of {rows} rows differ: {wrong}"


# The demo's open ballots, one of each kind of level: the central bloc's of 2023 (led by MTTQ;
# HCCB has voted or not, as the demo left it), the second province's cluster of 2024 (led by
# T2-LDLD; T2-HND has voted) and the first province's council (nobody has voted). Who sees each:
# its roll, the board of its level (a bloc's: the board whose council organises it), the
# council's secretary and members for a council's, inspectors. Of those, who gets 2xx on each
# route (the rest 403, or 409 for a member who has voted; the unseen 404). The roll call
# (`attendance`) is a council's: a bloc's leader asking it gets 400 (`council_only`).
BALLOTS = {
    "tw-bloc": {"state": "open", "bloc__code": "KHOI-CTXH-TW"},
    "t2-cluster": {"state": "open", "bloc__code": "CUM-CTXH-T2"},
    "t-council": {"state": "open", "council__code": "T-HDTDKT"},
}
BALLOT_SEES = {
    "tw-bloc": {"voter-MTTQ", "voter-HCCB", "board-officer", "board-officer-2", "board-head",
                "inspector", "admin"},
    "t2-cluster": {"voter-T2-HND", "t2-board-officer", "t2-board-officer-2", "inspector",
                   "admin"},
    "t-council": {"t-council-secretary", "t-council-member-1", "t-board-officer", "inspector",
                  "admin"},
}  # fmt: skip
BALLOT_DOES = {
    "tw-bloc": {"voter-MTTQ": {"vote", "close"}, "voter-HCCB": {"vote"}},
    "t2-cluster": {"voter-T2-HND": {"vote"}},
    "t-council": {"t-council-member-1": {"vote"}, "t-council-secretary": {"close", "attendance"}},
}
BALLOT_LEADERS = {"tw-bloc": "voter-MTTQ", "t2-cluster": "voter-T2-LDLD"}
# The demo's unsigned batches of each level: the PM's, the second province's chair's, the
# minister's. Who sees each whole (its decider, the board preparing it, inspectors) and who signs.
DECISIONS = {
    "TTG": ({"board-officer", "board-officer-2", "board-head", "pm", "inspector", "admin"}, "pm"),
    "T2-UBND": (
        {"t2-board-officer", "t2-board-officer-2", "t2-chair", "inspector", "admin"}, "t2-chair"
    ),
    "BTP": ({"m-board-officer", "m-board-officer-2", "minister", "inspector", "admin"}, "minister"),
}  # fmt: skip


def _ballot_expect(key: str, persona: str, route: str, voted: set[str]) -> int:
    if persona not in BALLOT_SEES[key]:
        return 404
    if route == "get":
        return 200
    if route in BALLOT_DOES[key].get(persona, set()):
        if route == "vote" and persona.removeprefix("voter-") in voted:
            return 409
        return 201 if route == "vote" else 200
    if route == "attendance" and persona == BALLOT_LEADERS.get(key):
        return 400
    return 403


def test_ballot_and_decision_routes_matrix():
    world = World()
    wrong, rows = [], 0
    for key, where in BALLOTS.items():
        session = BallotSession.objects.filter(**where).order_by("id").first()
        voted = set(session.casts.values_list("voter__organization__code", flat=True))
        nominee = str(session.items.first().nominee_id)
        base = f"/api/v1/ballots/{session.pk}"
        for persona in PERSONAS:
            client = _api(persona)
            for route, method, url, data in (
                ("get", "get", f"{base}/", None),
                ("vote", "post", f"{base}/votes/", {"choices": {nominee: "yes"}}),
                ("close", "post", f"{base}/close/", {}),
                ("attendance", "post", f"{base}/attendance/", {"present": []}),
            ):
                want = _ballot_expect(key, persona, route, voted)
                got = _call(client, method, url, data)
                rows += 1
                if got != want:
                    wrong.append((key, persona, route, want, got))
    for decider, (sees, signer) in DECISIONS.items():
        draft = Decision.objects.filter(decider=decider, state="draft").order_by("id").first()
        durl = f"/api/v1/decisions/{draft.pk}"
        for persona in PERSONAS:
            client = _api(persona)
            seen = persona in sees
            sign = {"number": f"999/QĐ-{decider}", "signed_on": "2026-11-20", "otp": ""}
            checks = [
                ("decision", "get", f"{durl}/", None, 200 if seen else 404),
                ("sign", "post", f"{durl}/sign/", sign,
                 (200 if persona == signer else 403) if seen else 404),
                # A signature-like act: the persona's new code first (none without a device:
                # 403); none of these batches is a President's to propose (409).
                ("propose", "post", f"{durl}/propose/", {"otp": ""},
                 (409 if persona in SECOND_FACTOR_PERSONAS else 403) if seen else 404),
            ]  # fmt: skip
            for route, method, url, data, want in checks:
                if data and "otp" in data:  # each signature carries a new code of the persona
                    data = {**data, "otp": fresh_code(persona)}
                got = _call(client, method, url, data)
                rows += 1
                if got != want:
                    wrong.append((decider, persona, route, want, got))
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
    team = {"kind": "collective", "name": "Tập thể năm sau", "organization": "HND"}
    next_year = start(world, "HND", "BK-TTG", "Năm 2024", [team], 2024)  # to the bloc
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


# ---- assignment and consulted bodies ------------------------------------------------------------

# Sharing a board's work on the action route (`assign` with {"officer": username}, `claim`,
# `release`): the head of the holding level's board assigns (board-head at the central level,
# t-board-officer for the first province), any officer or head of that board claims an unassigned
# dossier, the assignee or the head releases an assigned one; a draft, a returned dossier, one at
# the bloc's vote and a closed one are not shared. On a dossier on hold `release` is the
# lifecycle's release of the hold (the existing rows), whoever is assigned.
# Rows: (persona, case, action, assigned to before the call, expected). `assign` names the other
# officer of the holding board (ASSIGN_TO); the consulted rows below see intake and appraisal.
_3 = ("assign", "claim", "release")
ASSIGN_TO = {"TTG": "board-officer-2", "T-UBND": "t-board-officer-2"}
ASSIGNMENT_ROWS: list[tuple[str, str, str, str | None, int]] = [
    # Unassigned, at the central level's stages.
    *[
        row
        for case in (S.INTAKE, S.APPRAISAL)
        for row in [
            ("board-head", case, "assign", None, 200),
            ("board-head", case, "claim", None, 200),
            ("board-head", case, "release", None, 409),
            ("board-officer", case, "assign", None, 403),
            ("board-officer", case, "claim", None, 200),
            ("board-officer", case, "release", None, 409),  # an officer; nothing to give back
            ("board-officer-2", case, "assign", None, 403),
            ("board-officer-2", case, "claim", None, 200),
            ("board-officer-2", case, "release", None, 409),
            *[(p, case, a, None, 404) for p in ("t-board-officer", "pm") for a in _3],
            *[
                (p, case, a, None, 403)
                for p in ("proposer-HLHPN", "head-HLHPN", "inspector", "consult-BHXH")
                for a in _3
            ],
        ]
    ],
    ("board-head", S.AWAITING_DECISION, "assign", None, 200),
    ("board-head", S.AWAITING_DECISION, "claim", None, 200),
    ("board-head", S.AWAITING_DECISION, "release", None, 409),
    ("board-officer", S.AWAITING_DECISION, "assign", None, 403),
    ("board-officer", S.AWAITING_DECISION, "claim", None, 200),
    ("board-officer", S.AWAITING_DECISION, "release", None, 409),
    ("board-officer-2", S.AWAITING_DECISION, "claim", None, 200),
    *[
        (p, S.AWAITING_DECISION, a, None, 403)
        for p in ("pm", "proposer-HLHPN", "consult-BHXH")
        for a in _3
    ],
    *[(p, S.AWAITING_DECISION, a, None, 404) for p in ("t-board-officer",) for a in _3],
    # Decided: closed, nothing to share.
    *[(p, S.DECIDED, a, None, 409) for p in ("board-head",) for a in _3],
    ("board-officer", S.DECIDED, "assign", None, 403),
    ("board-officer", S.DECIDED, "claim", None, 409),
    ("board-officer", S.DECIDED, "release", None, 409),
    ("board-officer-2", S.DECIDED, "claim", None, 409),
    *[
        (p, S.DECIDED, a, None, 403)
        for p in ("pm", "proposer-HLHPN", "head-HLHPN", "inspector", "consult-BHXH")
        for a in _3
    ],
    *[(p, S.DECIDED, a, None, 404) for p in ("t-board-officer",) for a in _3],
    # A draft: with its unit only; no board holds it yet.
    *[
        (p, S.DRAFT, a, None, 404)
        for p in (
            "board-head",
            "board-officer",
            "board-officer-2",
            "t-board-officer",
            "pm",
            "consult-BHXH",
        )
        for a in _3
    ],  # fmt: skip
    *[
        (p, S.DRAFT, a, None, 403)
        for p in ("proposer-HLHPN", "head-HLHPN", "inspector")
        for a in _3
    ],
    # On hold: shared (assign, claim); `release` releases the hold.
    ("board-head", S.ON_HOLD, "assign", None, 200),
    ("board-officer", S.ON_HOLD, "assign", None, 403),
    ("board-officer", S.ON_HOLD, "claim", None, 200),
    ("board-officer", S.ON_HOLD, "release", None, 200),
    ("board-officer", S.ON_HOLD, "release", "board-officer-2", 200),
    ("board-officer-2", S.ON_HOLD, "release", "board-officer-2", 200),
    ("board-officer", S.ON_HOLD, "claim", "board-officer-2", 409),
    # Assigned to the second officer.
    *[
        row
        for case in (S.INTAKE, S.APPRAISAL, S.AWAITING_DECISION)
        for row in [
            ("board-officer-2", case, "release", "board-officer-2", 200),
            ("board-officer-2", case, "claim", "board-officer-2", 409),
            ("board-officer-2", case, "assign", "board-officer-2", 403),
            ("board-officer", case, "release", "board-officer-2", 403),  # not the assignee's
            ("board-officer", case, "claim", "board-officer-2", 409),
            ("board-head", case, "release", "board-officer-2", 200),
            ("board-head", case, "claim", "board-officer-2", 409),
            ("proposer-HLHPN", case, "release", "board-officer-2", 403),
            ("inspector", case, "release", "board-officer-2", 403),
        ]
    ],
    ("pm", S.INTAKE, "release", "board-officer-2", 404),
    ("pm", S.AWAITING_DECISION, "release", "board-officer-2", 403),
    # The first province: its board's head is t-board-officer; the central board sees nothing
    # before the chair signs, and then it is the central board's to share.
    ("t-board-officer", "t-intake", "assign", None, 200),
    ("t-board-officer", "t-intake", "claim", None, 200),
    ("t-board-officer", "t-intake", "release", None, 409),
    ("t-board-officer", "t-intake", "release", "t-board-officer-2", 200),
    *[(p, "t-intake", a, None, 404) for p in ("board-head", "board-officer") for a in _3],
    ("inspector", "t-intake", "claim", None, 403),
    *[(p, "t-signed", a, None, 403) for p in ("t-board-officer",) for a in _3],
    ("board-head", "t-signed", "assign", None, 200),
    ("board-officer", "t-signed", "claim", None, 200),
    ("board-officer-2", "t-signed", "claim", None, 200),
]
# `assign` to someone who is not an officer of the holding board: (persona, case, officer, status).
ASSIGN_WHOM = [
    ("board-head", S.INTAKE, "board-officer", 200),
    ("board-head", S.INTAKE, "board-head", 200),  # the head is one of the board's officers
    ("board-head", S.INTAKE, "t-board-officer-2", 400),  # another level's board
    ("board-head", S.INTAKE, "proposer-HLHPN", 400),
    ("board-head", S.INTAKE, "no-such-user", 400),
    ("board-head", S.INTAKE, "", 400),
    ("board-head", "t-signed", "t-board-officer-2", 400),  # the province's board, done with it
    ("t-board-officer", "t-intake", "board-officer-2", 400),
    ("board-officer", S.INTAKE, "board-officer", 403),  # not the head, whomever
]
# The consulted bodies: `build()` consults both about the PM's certificates it forwards (and the
# one at appraisal, so that its forward may go); the matrix then asks HY-BHXH about the intake
# dossier and both bodies about the appraisal one again. A body sees only what it was asked about
# and never moves a dossier.
CONSULTED = {
    "consult-BHXH": {S.INTAKE, S.APPRAISAL, S.AWAITING_DECISION, S.DECIDED},
    "consult-THUE": {S.APPRAISAL, S.AWAITING_DECISION, S.DECIDED},
}
CONSULTED_CASES = (S.DRAFT, S.INTAKE, S.APPRAISAL, S.AWAITING_DECISION, S.DECIDED, "t-intake")
# Answers: (persona, case, body asked, expected).
ANSWER_ROWS = [
    ("consult-BHXH", S.INTAKE, "HY-BHXH", 200),
    ("consult-THUE", S.INTAKE, "HY-BHXH", 404),  # it was not asked: it does not see the dossier
    ("consult-BHXH", S.APPRAISAL, "HY-BHXH", 200),
    ("consult-THUE", S.APPRAISAL, "HY-THUE", 200),
    ("consult-THUE", S.APPRAISAL, "HY-BHXH", 403),  # sees the dossier; not its request
    ("consult-BHXH", S.APPRAISAL, "HY-THUE", 403),
    ("board-officer", S.INTAKE, "HY-BHXH", 403),  # asked it; does not answer it
    ("board-head", S.APPRAISAL, "HY-THUE", 403),
    ("proposer-HLHPN", S.INTAKE, "HY-BHXH", 403),
    ("head-HLHPN", S.APPRAISAL, "HY-BHXH", 403),
    ("inspector", S.APPRAISAL, "HY-BHXH", 403),
    ("pm", S.INTAKE, "HY-BHXH", 404),
    ("t-board-officer", S.APPRAISAL, "HY-THUE", 404),
]


def _assignment_call(client, dossier: Dossier, action: str, data: dict, assigned: str | None):
    """Set the assignee, make the request, undo both: every row starts from the built world."""
    from django.contrib.auth import get_user_model

    with transaction.atomic():
        if assigned:
            officer = get_user_model().objects.get(username=assigned)
            Dossier.objects.filter(pk=dossier.pk).update(assignee=officer)
        response = client.post(
            f"/api/v1/dossiers/{dossier.pk}/actions/{action}/", data, format="json"
        )
        body = response.json() if response.status_code == 200 else {}
        transaction.set_rollback(True)
    return response.status_code, body


def test_assignment_and_consultation_matrix():
    world = World()
    dossiers = build(world)
    board = _api("board-officer")
    asked = {}
    for case, bodies in ((S.INTAKE, ["HY-BHXH"]), (S.APPRAISAL, ["HY-BHXH", "HY-THUE"])):
        response = board.post(
            f"/api/v1/dossiers/{dossiers[case].pk}/consultations/",
            {"bodies": bodies, "due_in_days": 10},
            format="json",
        )
        assert response.status_code == 201, response.json()
        asked |= {(case, row["body"]): row["id"] for row in response.json()}
    wrong, rows, clients = {}, 0, {}

    def client(persona):
        return clients.setdefault(persona, _api(persona))

    for persona, case, action, assigned, want in ASSIGNMENT_ROWS:
        officer = ASSIGN_TO.get(CASES[case][2] or "", "board-officer-2")
        data = {**ACTION_PAYLOAD, "officer": officer} if action == "assign" else ACTION_PAYLOAD
        got, body = _assignment_call(client(persona), dossiers[case], action, data, assigned)
        rows += 1
        if got != want:
            wrong[(persona, case, action, assigned, want)] = got
        elif got == 200 and (case, action) == (S.ON_HOLD, "release"):
            # the hold released: the state moves, the assignment stays
            assert (body["state"], body["assignee"]) == (S.APPRAISAL, assigned), (persona, body)
        elif got == 200:  # the assignment changed as asked, the state did not
            after = {"assign": officer, "claim": persona, "release": None}[action]
            got_row = (body["state"], body["assignee"])
            assert got_row == (CASES[case][1], after), (persona, case, action, got_row)
    for persona, case, officer, want in ASSIGN_WHOM:
        data = {**ACTION_PAYLOAD, "officer": officer}
        got, _body = _assignment_call(client(persona), dossiers[case], "assign", data, None)
        rows += 1
        if got != want:
            wrong[(persona, case, "assign", officer, want)] = got
    # A consulted body: the dossiers it was asked about, and never a lifecycle move on them.
    for persona, seen in CONSULTED.items():
        for case in CONSULTED_CASES:
            dossier = dossiers[case]
            want_get = 200 if case in seen else 404
            got = _call(client(persona), "get", f"/api/v1/dossiers/{dossier.pk}/")
            rows += 1
            if got != want_get:
                wrong[(persona, case, "get", None, want_get)] = got
            for action in lifecycle.DOSSIER_ACTIONS:
                want = 403 if case in seen else 404
                url = f"/api/v1/dossiers/{dossier.pk}/actions/{action}/"
                got = _call(client(persona), "post", url, PAYLOADS.get(action, ACTION_PAYLOAD))
                rows += 1
                if got != want:
                    wrong[(persona, case, action, None, want)] = got
    for persona, case, body, want in ANSWER_ROWS:
        url = f"/api/v1/consultations/{asked[(case, body)]}/answer/"
        got = _call(client(persona), "post", url, {"agree": True, "reason": "Matrix"})
        rows += 1
        if got != want:
            wrong[(persona, case, "answer", body, want)] = got
    got = _call(client("consult-BHXH"), "post", "/api/v1/consultations/999999999/answer/",
                {"agree": True})  # fmt: skip
    if got != 404:
        wrong[("consult-BHXH", "-", "answer", "no such request", 404)] = got
    # The lists: a body's inbox holds its own requests only.
    for persona, code in (("consult-BHXH", "HY-BHXH"), ("consult-THUE", "HY-THUE")):
        rows_ = client(persona).get("/api/v1/consultations/").json()
        listed = {row["id"] for row in rows_} & set(asked.values())
        assert listed == {pk for (_case, b), pk in asked.items() if b == code}, persona
        assert {row["body"] for row in rows_} == {code}, persona
    assert client("board-officer").get("/api/v1/consultations/").json() == []
    assert not wrong, f"{len(wrong)} of {rows} rows differ: {wrong}"


# ---- guards: nothing exists that the matrix does not cover ---------------------------------

COVERED = {
    "api/v1/dossiers/<int:pk>/", "api/v1/dossiers/<int:pk>/history/",
    "api/v1/dossiers/<int:pk>/attachments/", "api/v1/dossiers/<int:pk>/actions/<slug:action>/",
    "api/v1/award-forms/", "api/v1/organizations/", "api/v1/blocs/", "api/v1/dossiers/",
    "api/v1/decisions/", "api/v1/decisions/<int:pk>/", "api/v1/decisions/<int:pk>/sign/",
    "api/v1/decisions/<int:pk>/propose/", "api/v1/audit/verify/", "api/v1/audit/events/",
    "api/v1/ballots/", "api/v1/ballots/<int:pk>/", "api/v1/ballots/<int:pk>/votes/",
    "api/v1/ballots/<int:pk>/close/", "api/v1/ballots/<int:pk>/attendance/",
    "", "dossiers/", "dossiers/new/", "dossiers/<int:pk>/",
    "dossiers/<int:pk>/attachments/<int:attachment_id>/", "dossiers/<int:pk>/upload/",
    "dossiers/<int:pk>/actions/<slug:action>/", "decisions/", "decisions/new/", "flow.svg",
    "ballots/new/",
    "audit/", "audit/verify/", "audit/export.jsonl",
    # jobs: test_job_routes_matrix (and tests/registry, tests/reports, tests/audit)
    "api/v1/registry/imports/<int:pk>/", "api/v1/dossiers/exports/<int:pk>/",
    "audit/exports/<int:pk>/",
}  # fmt: skip
# Routes tested elsewhere, with where.
ELSEWHERE = {
    "api/v1/auth/token/": "tests/test_auth.py",
    "api/v1/dossiers/<int:pk>/consultations/": "tests/consultations/test_consultation.py",
    "api/v1/consultations/": "tests/consultations/test_consultation.py",
    "api/v1/consultations/<int:pk>/answer/": "tests/consultations/test_consultation.py",
    "api/v1/consultations/<int:pk>/document/": "tests/consultations/test_consultation.py",
    "dossiers/<int:pk>/comments/<int:comment_id>/handle/": "tests/consultations/test_board_page.py",
    "consultations/<int:pk>/":
        "tests/web/test_consultation_pages.py (404 unseen, 403 not the body asked)",
    "dossiers/<int:pk>/consultations/new/":
        "tests/consultations/test_board_page.py (403 not the holding board)",
    "api/v1/ballots/<int:pk>/minutes/": "tests/approvals/test_ballots.py",
    "api/v1/public/notices/": "tests/notices/test_notices.py",
    "api/v1/public/notices/<int:nominee_id>/comments/": "tests/notices/test_notices.py",
    "api/v1/dossiers/<int:pk>/comments/": "tests/notices/test_notices.py",
    "api/v1/comments/<int:pk>/handle/": "tests/notices/test_notices.py",
    "public/notices/": "tests/notices/test_notices.py",
    # the decision's documents: 404 for a decision the user may not see, the public register
    **dict.fromkeys(
        [
            "api/v1/decisions/<int:pk>/document/", "api/v1/decisions/<int:pk>/certificates/",
            "api/v1/documents/verify/", "api/v1/public/decisions/", "decisions/public/",
            "decisions/<int:pk>/preview.pdf", "decisions/<int:pk>/document.pdf",
            "decisions/<int:pk>/certificates.pdf",
        ],
        "tests/documents/test_documents.py (404 unseen; public: no personal data)",
    ),
    # the letters generated from the data: 404 unseen; a unit reads only its own notice
    **dict.fromkeys(
        [
            "api/v1/dossiers/<int:pk>/submission.pdf", "dossiers/<int:pk>/submission.pdf",
            "api/v1/decisions/<int:pk>/not-awarded/", "decisions/<int:pk>/not-awarded.pdf",
        ],
        "tests/documents/test_submission_and_notice.py (404 unseen; a unit: its own notice)",
    ),
    "api/schema/": "tests/test_site.py", "api/docs/": "tests/test_site.py",
    "i18n/setlang/": "tests/test_site.py", "accounts/login/": "tests/test_auth.py",
    "accounts/logout/": "tests/test_auth.py",
    "decisions/<int:pk>/": "tests/test_auth.py (re-authentication before signing)",
    "ballots/<int:pk>/": "tests/approvals/test_ballots.py",
    "ballots/<int:pk>/close/": "tests/web/test_home_and_ballots.py (by role, with confirmation)",
    "api/v1/dossiers/<int:pk>/nominees/<int:nominee>/<slug:action>/":
        "tests/workflows/test_levels.py (a nominee held during the council stage)",
    "api/v1/dossiers/<int:pk>/nominees/<int:nominee>/checks/<slug:rule>/<slug:action>/":
        "tests/workflows/test_eligibility_flow.py (override and confirm, by role)",
    "notifications/": "tests/notifications/test_page.py (own items only)",
    "notifications/<int:pk>/": "tests/notifications/test_page.py (another's is 404)",
    "notifications/read-all/": "tests/notifications/test_page.py",
    "notifications/preferences/": "tests/notifications/test_page.py",
    "api/v1/registry/people/": "tests/registry/test_api.py (its own matrix)",
    "api/v1/registry/people/<int:pk>/": "tests/registry/test_api.py (its own matrix)",
    "api/v1/registry/import/": "tests/registry/test_api.py (its own matrix)",
    "api/v1/dossiers/<int:pk>/nominees/import/": "tests/registry/test_api.py (its own matrix)",
    "dossiers/<int:pk>/nominees/<int:nominee>/checks/<slug:rule>/<slug:action>/":
        "tests/web/test_eligibility_pages.py (override and confirm, by role)",
    "dossiers/<int:pk>/nominees/<int:nominee>/<slug:action>/":
        "tests/web/test_nominee_hold_page.py (hold and release: 404 unseen, 403 not the board)",
    "registry/people/<int:pk>/": "tests/web/test_eligibility_pages.py",
    "registry/restrictions/": "tests/web/test_eligibility_pages.py (by role)",
    "registry/restrictions/<int:pk>/close/": "tests/web/test_eligibility_pages.py (by role)",
    # the proposing unit's pages (web/proposer.py): 404 unseen, 403 not the unit or its head
    **dict.fromkeys(
        [
            "dossiers/<int:pk>/edit/", "dossiers/<int:pk>/documents/",
            "dossiers/<int:pk>/documents/<int:attachment_id>/replace/",
            "dossiers/<int:pk>/documents/<int:attachment_id>/remove/",
            "dossiers/<int:pk>/submit/", "dossiers/<int:pk>/withdraw/",
        ],
        "tests/web/test_proposer_pages.py (by role and state)",
    ),
    # reports (reports/): the dashboard and statistics by role (403 a proposing unit), the list
    # export scoped like the list, a decision's annex 404 unseen
    "reports/": "tests/reports/test_dashboard.py (by role)",
    "api/v1/reports/summary/": "tests/reports/test_dashboard.py (by role, scoped)",
    "api/v1/reports/awards.xlsx": "tests/reports/test_statistics.py (by role, scoped)",
    "dossiers/export.xlsx": "tests/reports/test_excel.py (the list's own scope)",
    "api/v1/dossiers/export.xlsx": "tests/reports/test_excel.py (the list's own scope)",
    "api/v1/decisions/<int:pk>/annex.xlsx": "tests/reports/test_excel.py (404 unseen)",
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
    assert set().union(*(a for rows in MAY.values() for a in rows.values())) == set(
        lifecycle.DOSSIER_ACTIONS
    )


# Transitions `build()` performs on the way to its dossiers without a person's action route:
# the bloc's and the council's ballots closing (record_*_vote) and the signed batch (decide).
BUILT = {
    (S.BLOC_VOTING, "record_bloc_vote"),
    (S.COUNCIL_REVIEW, "record_council_vote"),
    (S.AWAITING_DECISION, "decide"),
}
# Declared transitions the matrix does not reach with an expected 200 (their source state is not
# built, or a guard refuses the move there), each exercised by the route tests named here
# instead. Keep it short: a new transition belongs in the matrix.
NOT_IN_MATRIX = {
    (S.PUBLIC_NOTICE, "close_notice"): "tests/workflows/test_routes.py",
    (S.AWAITING_DECISION, "propose_to_president"): "tests/workflows/test_routes.py",
    (S.AWAITING_PRESIDENT, "decide"): "tests/workflows/test_routes.py",
    (S.AWAITING_PRESIDENT, "withdraw"): "tests/workflows/test_levels.py",
    (S.AWAITING_PRESIDENT, "recall_proposal"): "tests/workflows/test_levels.py",
    (S.AWAITING_PRESIDENT, "hold"): "tests/workflows/test_levels.py",
}


def test_every_declared_transition_is_exercised_by_the_matrix():
    """Each (source, action) of workflows/lifecycle.py is met by the matrix's data: a route
    call some persona may make (expected 200) on a dossier the matrix builds, or a step of
    `build()`; the few listed in NOT_IN_MATRIX are not, and that list may not go stale."""
    from workflows.lifecycle import transitions

    declared = {(source, action) for source, action, _ in transitions()}
    routed = {
        (CASES[case][1], action)
        for case in CASES
        for action in lifecycle.DOSSIER_ACTIONS
        if any(expected_dossier(p, case, "action", action) == 200 for p in PERSONAS)
    }
    exercised = routed | BUILT
    assert BUILT <= declared
    assert declared - exercised == set(NOT_IN_MATRIX)
    assert not set(NOT_IN_MATRIX) & exercised
