"""At a phone's width (390 CSS pixels), no page scrolls sideways, even with the longest data;
nor at 360 px, a tablet's 800 px or a desk's 1440 px.

Dossiers of 50 nominees whose names are 255 characters with no space to break at (the longest a
name may be), with titles as long, are brought through the services to the states each page
shows: a draft (its edit and documents pages), one on an open bloc ballot, one on public notice,
one in a decision batch awaiting the Prime Minister and one awaiting its batch, one of 50 people
on the central council's open ballot (the secretary's roll call), and a small one signed (its
decision's page, its certificates still being printed). A nominee is on hold, and ledger
exports wait for the worker or failed (the jobs' pages). Each persona then
reads its pages in headless Chromium; on every one the document is no wider than the viewport
(a table may scroll inside its own box) and, on a phone, the header takes less than a quarter of
the screen. A screenshot per page and width goes to artifacts/screenshots/layout/."""

import datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
import time_machine
from django.conf import settings
from selenium.webdriver.common.by import By

from approvals import ballots
from approvals import services as approval_services
from approvals.models import Decision
from consultations.models import Consultation
from demo.world import (
    CENTRAL_CODES,
    World,
    act,
    bloc_ballot,
    build_devices,
    build_organisations,
    build_signing_keys,
    build_users,
    consult,
    person,
    start,
)
from documents import services as documents
from dossiers import registry
from dossiers.models import Dossier, RestrictionKind
from tests.browser import chromium, needs_browser, sign_in
from tests.pages import ledger_export_jobs
from workflows import services as wf

pytestmark = [pytest.mark.django_db(transaction=True), needs_browser]
SHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots" / "layout"
WIDTH, HEIGHT = 390, 844  # a common phone, in CSS pixels
# The phone first (its screenshot has no suffix), then the smallest phone, a tablet, a desk.
SIZES = [(WIDTH, HEIGHT), (360, 740), (800, 1000), (1440, 900)]
NOMINEES = 50
# One word of 255 letters: nothing to break at but the letters themselves.
STEM = "TậpthểLaođộngXuấtsắcTiêubiểu"


def long_text(tag: str, length: int = 255) -> str:
    return (f"{tag}-" + STEM * (length // len(STEM) + 1))[:length]


def collectives(org: str, tag: str) -> list[dict]:
    return [
        {
            "kind": "collective",
            "name": long_text(f"{tag}{i:02d}"),
            "organization": org,
            "achievements": long_text(f"Thành tích {i}", 400),
        }
        for i in range(NOMINEES)
    ]


def big(world: World, org: str, form: str, tag: str) -> Dossier:
    """A dossier of 50 collectives, with the form's documents, its title 255 characters."""
    return start(world, org, form, long_text(f"Hồ sơ {tag}"), collectives(org, tag), 2023)


def build_world() -> dict:
    """The dossiers each page shows, through the services; the pages' ids by name."""
    build_organisations()
    build_users()
    build_devices()
    build_signing_keys()
    world = World()
    # A draft, with one individual (in the registry, with a restriction on record) among them.
    draft = start(
        world, "VUSTA", "BK-TTG", long_text("Hồ sơ dự thảo"),
        [person(long_text("Cá nhân"), "VUSTA"), *collectives("VUSTA", "DT")[1:]], 2023,
    )  # fmt: skip
    individual = draft.nominees.get(kind="individual").person
    registry.restriction_open(
        actor=world.user("board-officer"), person=individual, kind=RestrictionKind.COMPLAINT,
        opened_on=datetime.date(2026, 11, 2), note=long_text("Đơn khiếu nại", 500),
    )  # fmt: skip
    # On an open bloc ballot: two members have voted.
    voting = big(world, "HCCB", "BK-TTG", "BP")
    act(world, "head-HCCB", voting, "submit")
    session = bloc_ballot(
        world, "voter-MTTQ", "KHOI-CTXH-TW", 2023, [voting], ["MTTQ", "DOAN"], close=False
    )
    # On public notice: a Labour Order accepted by the board.
    notice = big(world, "DOAN", "HCLD-3", "CK")
    act(world, "head-DOAN", notice, "submit")
    act(world, "board-officer", notice, "accept", reason=long_text("Tiếp nhận", 300))
    held = notice.nominees.order_by("pk").first()
    wf.nominee_act(
        actor=world.user("board-officer"), dossier=notice, nominee=held.pk, action="hold",
        payload={"reason_code": "complaint", "reason": long_text("Đơn khiếu nại", 500)},
    )  # fmt: skip
    # Through the bloc, the board and the consulted bodies to the Prime Minister: one in a
    # batch, one still awaiting its batch, and a small one to be signed.
    batched, awaiting = big(world, "HND", "BK-TTG", "TT"), big(world, "HLHPN", "BK-TTG", "CL")
    small = start(
        world, "VUFO", "BK-TTG", long_text("Hồ sơ ký"), collectives("VUFO", "KY")[:1], 2023
    )
    for dossier in (batched, awaiting, small):
        act(world, f"head-{dossier.organization.code}", dossier, "submit")
    closed = bloc_ballot(
        world, "voter-MTTQ", "KHOI-CTXH-TW", 2023, [batched, awaiting, small], CENTRAL_CODES
    )
    for dossier in (batched, awaiting, small):
        dossier.refresh_from_db()
        act(world, "board-officer", dossier, "accept")
        consult(world, "board-officer", dossier)
        act(world, "board-head", dossier, "forward")
    decision = approval_services.decision_create(
        actor=world.user("board-head"), decider="TTG", dossier_ids=[batched.pk]
    )
    assert Decision.objects.get(pk=decision.pk).dossiers.count() == 1
    signed = approval_services.decision_create(
        actor=world.user("board-head"), decider="TTG", dossier_ids=[small.pk]
    )
    approval_services.decision_sign(
        actor=world.user("pm"), decision=signed, number="12/QĐ-TTg",
        signed_on=datetime.date(2026, 11, 20),
    )  # fmt: skip
    # 50 people before the central council, on its open ballot: past their public notice.
    with time_machine.travel(datetime.datetime(2026, 10, 1, 9, tzinfo=datetime.UTC)) as clock:
        people = [person(long_text(f"Người {i:02d}"), "TLDLD") for i in range(NOMINEES)]
        heard = start(world, "TLDLD", "CSTD-TQ", long_text("Hồ sơ Hội đồng"), people, 2023)
        act(world, "head-TLDLD", heard, "submit")
        act(world, "board-officer", heard, "accept", reason=long_text("Tiếp nhận", 300))
        clock.shift(datetime.timedelta(days=21))
        act(world, "board-officer", heard, "close_notice", reason=long_text("Hết hạn", 300))
    meeting = ballots.ballot_open(
        actor=world.user("council-secretary"), council_code="HDTDKT-TW", year=2023,
        nominee_ids=list(heard.nominees.values_list("pk", flat=True)),
    )  # fmt: skip
    inspector = world.user("inspector")
    waiting, failed = ledger_export_jobs(inspector, long_text("Lỗi", 500))
    return {
        "draft": draft.pk, "voting": voting.pk, "notice": notice.pk, "batched": batched.pk,
        "awaiting": awaiting.pk, "ballot": session.pk, "decision": decision.pk,
        "person": individual.pk, "closed_ballot": closed.pk, "signed": signed.pk,
        "meeting": meeting.pk, "waiting_job": waiting.pk, "failed_job": failed.pk,
        "document": draft.attachments.order_by("pk").first().pk,
        "consultation": Consultation.objects.filter(dossier=batched).order_by("pk").first().pk,
    }  # fmt: skip


def pages(ids: dict) -> list[tuple[str | None, str]]:
    """(persona, path) for every main page; None reads it signed out."""
    filters = urlencode({"q": STEM[:12], "year": 2023, "state": "draft", "ordering": "-title"})
    board_filters = urlencode(
        {"award_form": "BK-TTG", "organization": "HND", "overdue": "false", "assignee": "none"}
    )
    return [
        (None, "/accounts/login/"),
        (None, "/public/notices/"),
        ("proposer-VUSTA", "/"),
        ("proposer-VUSTA", f"/dossiers/?{filters}"),
        ("proposer-VUSTA", f"/dossiers/{ids['draft']}/"),
        ("proposer-VUSTA", f"/dossiers/{ids['draft']}/edit/"),
        ("proposer-VUSTA", f"/dossiers/{ids['draft']}/documents/"),
        ("proposer-VUSTA", f"/dossiers/{ids['draft']}/documents/{ids['document']}/remove/"),
        ("proposer-VUSTA", "/dossiers/new/"),
        ("proposer-VUSTA", "/decisions/"),
        ("proposer-VUSTA", "/notifications/"),
        ("head-VUSTA", f"/dossiers/{ids['draft']}/submit/"),
        ("head-HCCB", f"/dossiers/{ids['voting']}/withdraw/"),
        ("voter-VUSTA", "/"),
        ("voter-VUSTA", f"/ballots/{ids['ballot']}/"),
        ("voter-MTTQ", f"/ballots/{ids['ballot']}/"),
        ("voter-MTTQ", f"/ballots/{ids['ballot']}/close/"),
        ("voter-MTTQ", f"/ballots/{ids['closed_ballot']}/"),
        ("voter-MTTQ", "/ballots/new/"),
        ("council-secretary", f"/ballots/{ids['meeting']}/"),  # the meeting's roll call
        ("council-secretary", f"/ballots/{ids['meeting']}/close/"),
        ("board-officer", "/"),
        ("board-officer", f"/dossiers/?{board_filters}"),
        ("board-officer", f"/dossiers/{ids['notice']}/"),  # a nominee on hold, the others' forms
        ("board-officer", f"/dossiers/{ids['voting']}/"),
        ("board-officer", f"/dossiers/{ids['batched']}/"),
        ("board-officer", "/registry/restrictions/"),
        ("board-officer", f"/registry/people/{ids['person']}/"),
        ("board-officer", "/notifications/"),
        ("board-head", "/"),
        ("board-head", "/decisions/new/"),
        ("board-head", "/decisions/"),
        ("board-head", f"/decisions/{ids['decision']}/"),
        ("board-head", "/reports/"),
        ("consult-BHXH", f"/consultations/{ids['consultation']}/"),
        ("pm", "/"),
        ("pm", f"/decisions/{ids['decision']}/"),
        ("pm", f"/dossiers/{ids['awaiting']}/"),
        ("inspector", "/"),
        ("inspector", f"/audit/?{urlencode({'q': 'HND'})}"),
        ("inspector", "/audit/verify/"),
        ("inspector", f"/audit/exports/{ids['waiting_job']}/"),  # the jobs' pages
        ("inspector", f"/audit/exports/{ids['failed_job']}/"),
        ("inspector", f"/decisions/{ids['signed']}/"),
        ("inspector", f"/decisions/{ids['signed']}/certificates.pdf"),  # being printed
        ("inspector", "/decisions/public/"),
        ("inspector", f"/dossiers/{ids['batched']}/"),
        ("inspector", "/dossiers/999999/"),  # the site's own 404
    ]


# The page's width against the viewport's, the header's height, and the elements that stick
# out of the viewport outside any box that scrolls them (to say what to fix).
MEASURE = """
const root = document.documentElement;
const scrolls = (el) => {
  for (let p = el.parentElement; p; p = p.parentElement) {
    const s = getComputedStyle(p);
    if (p !== root && p !== document.body && /(auto|scroll|hidden)/.test(s.overflowX)) return true;
  }
  return false;
};
const wide = [];
for (const el of document.body.querySelectorAll("*")) {
  const r = el.getBoundingClientRect();
  const spills = getComputedStyle(el).overflowX === "visible"
    && el.scrollWidth > el.clientWidth + 1;
  if (r.width && (r.right > window.innerWidth + 0.5 || spills) && !scrolls(el)) {
    wide.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
              + (el.className && el.className.baseVal === undefined ? "." + el.className : "")
              + " right=" + Math.round(r.right));
    if (wide.length >= 6) break;
  }
}
const header = document.querySelector("body > header");
return {scroll: root.scrollWidth, inner: window.innerWidth,
        innerHeight: window.innerHeight,
        header: header ? header.getBoundingClientRect().height : 0, wide: wide};
"""


def _viewport(driver, width: int, height: int) -> None:
    # Chromium's window is at least 500 px wide: a phone's viewport is emulated.
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


@pytest.fixture
def browser():
    driver = chromium()
    yield driver
    driver.quit()


def test_no_page_scrolls_sideways_from_a_phone_to_a_desk(
    browser, live_server, settings, monkeypatch
):
    settings.CERTIFICATES_INLINE_MAX = 0  # every decision's certificates: the worker's
    monkeypatch.setattr(documents, "certificates_enqueue", lambda *args, **kwargs: None)
    ids = build_world()
    SHOTS.mkdir(parents=True, exist_ok=True)
    base, current, problems = live_server.url, "", []
    for n, (persona, path) in enumerate(pages(ids), start=1):
        if persona != current:
            browser.delete_all_cookies()
            if persona:
                sign_in(browser, base, persona)
            current = persona or ""
        for width, height in SIZES:
            _viewport(browser, width, height)
            browser.get(f"{base}{path}")
            browser.find_element(By.TAG_NAME, "main")
            seen = browser.execute_script(MEASURE)
            name = f"{n:02d}-{persona or 'anonymous'}-{path.strip('/').split('?')[0] or 'home'}"
            name = name.replace("/", "_") + ("" if width == WIDTH else f"-{width}")
            browser.save_screenshot(str(SHOTS / f"{name}.png"))
            assert seen["inner"] == width, seen  # the viewport really is that wide
            where = f"{persona} {path} at {width} px"
            if seen["scroll"] > seen["inner"]:
                problems.append(f"{where}: {seen['scroll']} px wide: {seen['wide']}")
            if width <= WIDTH and seen["header"] >= seen["innerHeight"] / 4:
                problems.append(f"{where}: the header is {seen['header']:.0f} px high")
    assert problems == [], "\n".join(problems)
