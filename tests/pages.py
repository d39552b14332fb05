"""Every page of the web UI and the API's lists, as each kind of demo persona reads them, and a
bigger demo world to read them again in.

Shared by the tests that read every page: tests/web/test_wording.py (words, not codes) and
tests/web/test_page_queries.py (the same number of queries whatever the data's size).
"""

from __future__ import annotations

import datetime

import time_machine
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django.urls import reverse

from approvals import ballots
from approvals import services as approval_services
from approvals.models import BallotSession, BallotState, Decision, DecisionState
from audit.export import LEDGER_EXPORT_JOB
from consultations.models import Consultation
from consultations.services import consultation_request
from demo.world import (
    CENTRAL_CODES,
    PROVINCE_CODES,
    World,
    act,
    bloc_ballot,
    consult,
    demo_pdf,
    person,
    start,
)
from dossiers import checks, registry
from dossiers.models import Dossier, DossierState, Nominee
from jobs.models import Job, JobStatus
from notices import services as notices
from notifications.models import NotificationKind
from notifications.services import notification_send
from tests.signin import signin
from workflows import lifecycle, selectors
from workflows import services as wf

User = get_user_model()

# One of each kind of persona the words are read by (tests/web/test_wording.py).
PERSONAS = [
    "inspector",
    "proposer-VHNT",
    "head-DOAN",
    "voter-MTTQ",
    "board-officer",
    "board-head",
    "council-secretary",
    "pm",
    "president",
    "t-board-officer",
    "t-chair",
    "consult-BHXH",
]
# The other kinds of persona of demo-data.md: the administrator, a bloc member who does not
# lead it (with a ballot to cast), a council member (likewise), a province's council
# secretary, the second province's chair, the ministry's board and its minister.
MORE_PERSONAS = [
    "admin",
    "voter-VHNT",
    "council-member-3",
    "t-council-secretary",
    "t2-chair",
    "m-board-officer",
    "minister",
]

# Lists with their filters and sort orders (kept in the URL), the public pages, the dashboard
# and the register: read by everyone (403 or an empty list for whoever may not use them).
LISTS = [
    "/?page=2",
    "/dossiers/?ordering=-due",
    "/dossiers/?state=intake&ordering=organization",
    "/dossiers/?q=khen&ordering=-reference",
    "/dossiers/?overdue=true&ordering=state",
    "/dossiers/?assignee=me",
    "/dossiers/?year=2023&award_form=BK-TTG&ordering=title",
    "/dossiers/?page=2",
    "/decisions/public/",
    "/decisions/public/?year=2023&form=BK-TTG",
    "/public/notices/",
    "/reports/",
    "/reports/?year=2023",
    "/registry/restrictions/",
]

# The API's lists (read with the persona's token).
API_LISTS = [
    "/api/v1/dossiers/",
    "/api/v1/dossiers/?state=intake&ordering=-due",
    "/api/v1/dossiers/?q=khen&ordering=organization",
    "/api/v1/decisions/",
    "/api/v1/ballots/",
    "/api/v1/consultations/",
    "/api/v1/registry/people/",
    "/api/v1/public/notices/",
    "/api/v1/public/decisions/",
    "/api/v1/reports/summary/",
    "/api/v1/award-forms/",
    "/api/v1/organizations/",
    "/api/v1/blocs/?year=2023",
    "/api/v1/audit/events/",
]


def client_for(username: str | None) -> Client:
    """A browser in Vietnamese, signed in as `username` through the sign-in page (None: a
    visitor)."""
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    if username:
        assert signin(client, username), username
    return client


def one_of_each_state() -> list[Dossier]:
    dossiers = []
    for state in DossierState:
        dossier = Dossier.objects.filter(state=state).select_related("organization").first()
        assert dossier is not None, f"the demo has no dossier {state}"
        dossiers.append(dossier)
    return dossiers


def _unit(username: str) -> str | None:
    """The organisation code of a unit's persona (`proposer-VHNT` → VHNT)."""
    for prefix in ("proposer-", "head-", "voter-"):
        if username.startswith(prefix):
            return username.removeprefix(prefix)
    return None


def _own_pages(username: str) -> list[str]:
    """A unit's work on its own dossiers: the proposer edits and completes the documents of
    those it holds, the head signs and submits them, or withdraws one it has sent."""
    code = _unit(username)
    if code is None or username.startswith("voter-"):
        return []
    own = Dossier.objects.filter(organization__code=code).order_by("id")
    held = own.filter(state__in=[DossierState.DRAFT, DossierState.RETURNED])
    if username.startswith("proposer-"):
        return [
            f"/dossiers/{pk}/{page}"
            for pk in held.values_list("pk", flat=True)
            for page in ("edit/", "documents/")
        ]
    sent = own.filter(state__in=set(lifecycle.OPEN) - {DossierState.DRAFT}).first()
    urls = [f"/dossiers/{pk}/submit/" for pk in held.values_list("pk", flat=True)]
    return urls + ([f"/dossiers/{sent.pk}/withdraw/"] if sent else [])


def pages_for(username: str) -> list[str]:
    """The pages a persona reads (its inbox and lists, the dossiers of every state, the
    decisions, the ballots, the consultations, the registry's people), each followed as the
    persona would, and the pages of its own work."""
    dossiers = one_of_each_state()
    urls = ["/", "/dossiers/", "/decisions/", "/notifications/", "/flow.svg", *LISTS]
    urls += [f"/dossiers/{d.pk}/" for d in dossiers]
    if username == "inspector":  # the chart of each state (the others see the same words)
        urls += [f"/flow.svg?dossier={d.pk}" for d in dossiers]
    urls += [f"/decisions/{pk}/" for pk in Decision.objects.values_list("pk", flat=True)]
    urls += [f"/ballots/{pk}/" for pk in BallotSession.objects.values_list("pk", flat=True)]
    asked = Consultation.objects.filter(dossier__in=dossiers).values_list("pk", flat=True)
    urls += [f"/consultations/{pk}/" for pk in asked]
    people = Nominee.objects.filter(dossier__in=dossiers, person__isnull=False)
    urls += [f"/registry/people/{pk}/" for pk in people.values_list("person_id", flat=True)]
    if username == "inspector":
        urls += ["/audit/", "/audit/verify/", "/audit/?action=return", "/audit/?page=2"]
        urls += [f"/audit/?dossier={d.pk}" for d in dossiers]
    if username in ("voter-MTTQ", "council-secretary"):
        urls.append("/ballots/new/")
        still_open = BallotSession.objects.filter(state=BallotState.OPEN)
        urls += [f"/ballots/{pk}/close/" for pk in still_open.values_list("pk", flat=True)]
    if username == "board-head":
        urls += ["/decisions/new/", "/decisions/new/?year=2023&decider=TTG"]
    if username.startswith("proposer-"):
        urls.append("/dossiers/new/")
    return urls + _own_pages(username)


def admin_pages() -> list[str]:
    """The administrator's pages: the admin's index, each model's list, and the page of one of
    its rows (the dossiers': those of every state)."""
    urls = ["/admin/"]
    for model, model_admin in admin.site._registry.items():
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse(f"{name}_changelist"))
        first = model_admin.get_queryset(RequestFactory().get("/")).order_by("pk").first()
        if model is Dossier:
            urls += [reverse(f"{name}_change", args=[d.pk]) for d in one_of_each_state()]
        elif first is not None:
            urls.append(reverse(f"{name}_change", args=[first.pk]))
    return urls


def file_pages_for(username: str) -> list[str]:
    """The files (PDFs, spreadsheets, exports) of the decisions, ballots and dossiers every
    other page links, as the inspector downloads them (who reads every one of them), and the
    dossier list as a spreadsheet, for everyone."""
    urls = ["/dossiers/export.xlsx", "/dossiers/export.xlsx?state=intake&ordering=-due"]
    if username != "inspector":
        return urls
    for pk, state in Decision.objects.values_list("pk", "state"):
        base = f"/decisions/{pk}/"
        if state == DecisionState.SIGNED:
            urls += [f"{base}document.pdf", f"{base}certificates.pdf", f"{base}not-awarded.pdf"]
        else:
            urls.append(f"{base}preview.pdf")
        urls.append(f"/api/v1/decisions/{pk}/annex.xlsx")
    urls += [f"/dossiers/{d.pk}/submission.pdf" for d in one_of_each_state()]
    closed = BallotSession.objects.filter(state=BallotState.CLOSED).values_list("pk", flat=True)
    urls += [f"/api/v1/ballots/{pk}/minutes/" for pk in closed]
    urls += ["/audit/?format=csv", "/audit/?format=json&action=return", "/audit/export.jsonl"]
    urls += ["/api/v1/reports/awards.xlsx?from=2023&to=2026", "/api/v1/dossiers/export.xlsx"]
    return urls


def api_pages_for(username: str) -> list[str]:
    """The API's lists, and each dossier of every state, its history, comments and
    consultations, each ballot and each decision, as the persona's token reads them."""
    urls = list(API_LISTS)
    for dossier in one_of_each_state():
        base = f"/api/v1/dossiers/{dossier.pk}/"
        urls += [base, f"{base}history/", f"{base}comments/", f"{base}consultations/"]
    urls += [f"/api/v1/ballots/{pk}/" for pk in BallotSession.objects.values_list("pk", flat=True)]
    urls += [f"/api/v1/decisions/{pk}/" for pk in Decision.objects.values_list("pk", flat=True)]
    return urls


# --- a bigger world ------------------------------------------------------------------------------


INDIVIDUALS_ONLY = {"CSTD-TQ"}  # a title for people, never for a collective


def _group(code: str, tag: str) -> dict:
    """A collective of the unit, named for this dossier (not the unit itself, which the demo's
    own dossiers propose)."""
    return {
        "kind": "collective",
        "name": f"Phòng {tag} ({code})",
        "organization": code,
        "achievements": "Hoàn thành xuất sắc nhiệm vụ",
    }


def _nominees(code: str, tag: str, year: int, form: str) -> list[dict]:
    """Three nominees: a collective (where the form awards collectives) and people with a
    registered career."""
    people = [
        person(f"Cán bộ {tag}{letter} ({code})", code, "Thành tích thêm", year=year)
        for letter in "abc"
    ]
    return people if form in INDIVIDUALS_ONLY else [_group(code, tag), *people[:2]]


def _started(world: World, codes: list[str], form: str, year: int, tag: str) -> list[Dossier]:
    made = []
    for i, code in enumerate(codes):
        nominees = _nominees(code, f"{tag}{i}", year, form)
        made.append(start(world, code, form, f"[thêm] {tag}{i} ({code})", nominees, year))
    return made


def _submitted(world: World, dossiers: list[Dossier]) -> list[Dossier]:
    return [act(world, f"head-{d.organization.code}", d, "submit") for d in dossiers]


def _forwarded(world: World, officer: str, head: str, dossier: Dossier) -> Dossier:
    act(world, officer, dossier, "accept", reason="Hồ sơ đầy đủ")
    consult(world, officer, dossier)
    return act(world, head, dossier, "forward", reason="Đủ tiêu chuẩn")


def _central(world: World) -> dict[str, object]:
    """The central bloc's units: drafts, an open ballot, and 14 dossiers voted on in one
    closed ballot and taken on to every later state, the decisions included."""
    _started(world, ["MTTQ", "VHNT", "DOAN"], "BK-TTG", 2023, "Dự thảo ")
    voting = _submitted(world, _started(world, ["HCCB", "TLDLD", "VUFO"], "BK-TTG", 2023, "Bỏ "))
    open_ballot = bloc_ballot(
        world, "voter-MTTQ", "KHOI-CTXH-TW", 2023, voting, ["TLDLD", "VUFO"], close=False
    )
    # Where each of the 14 dossiers the bloc votes on ends up (two in some states).
    ends = ["intake", "intake", "returned", "appraisal", "consulted", "on_hold", "awaiting",
            "awaiting", "batch", "batch", "signed", "signed", "rejected", "withdrawn"]  # fmt: skip
    voted = _submitted(world, _started(world, CENTRAL_CODES + CENTRAL_CODES[:5], "BK-TTG", 2023,
                                       "Khối "))  # fmt: skip
    bloc_ballot(world, "voter-MTTQ", "KHOI-CTXH-TW", 2023, voted, CENTRAL_CODES)
    end: dict[str, list[Dossier]] = {}
    for dossier, where in zip(voted, ends, strict=True):
        dossier.refresh_from_db()
        end.setdefault(where, []).append(dossier)
    officer, head = "board-officer", "board-head"
    [returned], [held], [rejected], [withdrawn] = (
        end[k] for k in ("returned", "on_hold", "rejected", "withdrawn")
    )
    act(world, officer, returned, "return", reason="Bổ sung báo cáo thành tích")
    for dossier in end["appraisal"] + end["consulted"] + [held, rejected]:
        act(world, officer, dossier, "accept", reason="Hồ sơ đầy đủ")
    consultation_request(actor=world.user(officer), dossier=end["consulted"][0],
                         bodies=["HY-BHXH", "HY-THUE"], due_in_days=10)  # fmt: skip
    act(world, officer, held, "hold", reason_code="complaint", reason="Đang xác minh")
    act(world, officer, rejected, "reject", reason_code="criteria_not_met",
        reason="Chưa đủ tiêu chuẩn")  # fmt: skip
    act(world, f"head-{withdrawn.organization.code}", withdrawn, "withdraw",
        reason="Đơn vị đề nghị hình thức khác")  # fmt: skip
    for dossier in end["awaiting"] + end["batch"] + end["signed"]:
        _forwarded(world, officer, head, dossier)
    board_head = world.user(head)
    batch = approval_services.decision_create(
        actor=board_head, decider="TTG", dossier_ids=[d.pk for d in end["batch"]]
    )
    done = approval_services.decision_create(
        actor=board_head, decider="TTG", dossier_ids=[d.pk for d in end["signed"]]
    )
    approval_services.decision_sign(actor=world.user("pm"), decision=done, number="2901/QĐ-TTg",
                                    signed_on=datetime.date(2026, 11, 20))  # fmt: skip
    return {"open_ballot": open_ballot, "batch": batch, "signed": done}


def _notices(world: World) -> None:
    """National emulation fighters under public notice with comments from the public, one
    past its notice before the central council on an open ballot."""
    with time_machine.travel(datetime.datetime(2026, 10, 1, 9, tzinfo=datetime.UTC)) as clock:
        listed = _submitted(
            world, _started(world, ["HND", "TLDLD", "HLHPN"], "CSTD-TQ", 2023, "Chiến sĩ ")
        )
        for dossier in listed:
            act(world, "board-officer", dossier, "accept", reason="Hồ sơ đầy đủ")
        clock.shift(datetime.timedelta(days=21))
        act(world, "board-officer", listed[0], "close_notice", reason="Không có ý kiến")
    for n, nominee in enumerate(Nominee.objects.filter(dossier__in=listed[1:])):
        notices.comment_post(
            nominee_id=nominee.pk, text=f"Ý kiến {n}", client_ip=f"198.51.100.{n + 1}"
        )
    session = ballots.ballot_open(
        actor=world.user("council-secretary"),
        council_code="HDTDKT-TW",
        year=2023,
        nominee_ids=list(listed[0].nominees.values_list("pk", flat=True)),
    )
    ballots.ballot_cast(
        actor=world.user("council-member-2"),
        session=session,
        choices={str(pk): "yes" for pk in listed[0].nominees.values_list("pk", flat=True)},
        conflicts=[],
    )


def _provincial(world: World) -> dict[str, object]:
    """The first province's cluster (2024): drafts, an open ballot, and dossiers through a
    closed one to the board, the chair's batch and a signed decision."""
    _started(world, ["T-HND", "T-LDLD"], "BK-TINH", 2024, "Tỉnh dự thảo ")
    voting = _submitted(world, _started(world, ["T-HLHPN", "T-HCCB"], "BK-TINH", 2024, "Tỉnh bỏ "))
    bloc_ballot(world, "voter-T-MTTQ", "CUM-CTXH-T", 2024, voting, ["T-HND"], close=False)
    voted = _submitted(world, _started(world, PROVINCE_CODES[:5], "BK-TINH", 2024, "Tỉnh "))
    bloc_ballot(world, "voter-T-MTTQ", "CUM-CTXH-T", 2024, voted, PROVINCE_CODES)
    _intake, appraisal, awaiting, batched, signed = voted
    act(world, "t-board-officer", appraisal, "accept", reason="Hồ sơ đầy đủ")
    for dossier in (awaiting, batched, signed):
        _forwarded(world, "t-board-officer", "t-board-officer", dossier)
    officer = world.user("t-board-officer")
    approval_services.decision_create(actor=officer, decider="T-UBND", dossier_ids=[batched.pk])
    done = approval_services.decision_create(
        actor=officer, decider="T-UBND", dossier_ids=[signed.pk]
    )
    approval_services.decision_sign(
        actor=world.user("t-chair"),
        decision=done,
        number="3901/QĐ-UBND",
        signed_on=datetime.date(2026, 11, 20),
    )
    return {"signed": done}


def _levels(world: World) -> None:
    """The second province's and the ministry's units: drafts and dossiers at their board."""
    _started(world, ["T2-HND", "T2-LDLD"], "BK-TINH", 2024, "Tỉnh hai ")
    _started(world, ["BTP-TGPL"], "BK-BO", 2024, "Bộ dự thảo ")
    _submitted(world, _started(world, ["BTP-THADS", "BTP-TGPL"], "BK-BO", 2024, "Bộ "))


def _more_on_the_shown(world: World, shown: list[Dossier], count: int, tag: str) -> None:
    """More on the very dossiers and ballots whose pages are read: `count` more nominees on each
    dossier (with registry people, checked by the rules; written directly, as
    tests/web/test_eligibility_pages.py does: no service adds a nominee to a dossier its unit
    no longer holds), more documents on the draft,
    officers taking and releasing the board's dossiers (ledger events), the public's comments on
    each nominee under notice, and one more vote on the central bloc's open ballots."""
    for dossier in shown:
        for i in range(count):
            found = registry.person_for(
                actor=None,
                organization=dossier.organization,
                identity=f"00108{count}{dossier.pk:04d}{i:02d}",  # one set per round
                full_name=f"Người {tag} {dossier.pk}-{i}",
            )
            Nominee.objects.create(
                dossier=dossier,
                kind="individual",
                name=found.full_name,
                organization=dossier.organization,
                person=found,
            )
    checks.refresh(shown, stage="appraisal")
    by_state = {d.state: d for d in shown}
    draft = by_state[DossierState.DRAFT]
    proposer = world.user(f"proposer-{draft.organization.code}")
    for i in range(count):
        wf.attachment_add(
            actor=proposer, dossier=draft, kind_code="khac", upload=demo_pdf(f"{tag}-{i}.pdf")
        )
    for state in (DossierState.INTAKE, DossierState.APPRAISAL):
        dossier = by_state[state]
        officers = [u for u, _name in selectors.board_officers(dossier) if "officer" in u]
        for i in range(count):
            officer = world.user(officers[i % len(officers)])
            wf.dossier_assignment(actor=officer, dossier=dossier.pk, action="claim")
            wf.dossier_assignment(actor=officer, dossier=dossier.pk, action="release")
    listed = Nominee.objects.filter(dossier=by_state[DossierState.PUBLIC_NOTICE]).order_by("id")
    for n, nominee in enumerate(listed[: count * 2]):
        notices.comment_post(
            nominee_id=nominee.pk, text=f"Ý kiến {tag} {n}", client_ip=f"203.0.{count}.{n + 1}"
        )
    voter = "HND" if count == 1 else "HLHPN"
    for session in BallotSession.objects.filter(state=BallotState.OPEN, bloc__code="KHOI-CTXH-TW"):
        items = session.items.select_related("nominee__dossier__organization")
        nominees = [item.nominee for item in items]
        own = [n.pk for n in nominees if n.dossier.organization.code == voter]
        choices = {str(n.pk): "yes" for n in nominees if n.pk not in own}
        ballots.ballot_cast(
            actor=world.user(f"voter-{voter}"), session=session, choices=choices, conflicts=own
        )


def _notify(usernames: list[str], count: int, tag: str) -> None:
    """`count` notifications to each of these users (the bell and the list)."""
    users = [User.objects.get(username=name) for name in usernames]
    for i in range(count):
        notification_send(
            recipients=users,
            kind=NotificationKind.ASSIGNED,
            title=f"{tag} {i}",
            message="Nội dung",
            link="/dossiers/",
            key=f"pages:{tag}:{i}",
        )


def one_more_of_each(world: World, shown: list[Dossier], usernames: list[str]) -> None:
    """One of each thing the pages list, so that a page read next shows every kind of row
    (a query a page asks only when it has rows is then asked before the world grows)."""
    _more_on_the_shown(world, shown, 1, "một")
    _notify(usernames, 1, "một")


def more_of_everything(world: World, shown: list[Dossier], usernames: list[str]) -> dict:
    """37 more dossiers of every level in every state, with three nominees each, their
    documents, ballots (open and closed), consultations, public comments, batches and signed
    decisions, all through the demo's own steps (the services a user's clicks call); and more
    nominees, documents, events, comments and votes on the `shown` dossiers and ballots, and
    30 notifications for each of the users. Returns the new open ballot and decisions, to
    read beside the demo's own smaller ones."""
    made = _central(world)
    _notices(world)
    made["province"] = _provincial(world)["signed"]
    _levels(world)
    _more_on_the_shown(world, shown, 3, "thêm")
    _notify(usernames, 30, "thêm")
    return made


def ledger_export_jobs(owner, error: str) -> tuple[Job, Job]:
    """Two ledger exports of `owner`'s for the job page: one waiting for the worker, one failed
    with `error` (the crawls of tests/web/test_accessibility.py and test_layout.py)."""
    job = {"kind": LEDGER_EXPORT_JOB, "task": "audit.ledger_export", "owner": owner}
    waiting = Job.objects.create(**job)
    failed = Job.objects.create(**job, status=JobStatus.FAILED, error_status=409, error=error)
    return waiting, failed
