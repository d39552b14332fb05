"""axe-core, run in headless Chromium on the pages each persona uses, finds no serious or critical
accessibility violation (issue #14, item 6): labels, names, contrast, landmarks, language.

axe-core is vendored at a pinned version (static/vendor/README.md) and injected into each page
by the test: the pages themselves never load it. The demo world gives the pages their data: a
returned dossier, open ballots, a dossier under appraisal with its checks and consultations,
a batch awaiting the Prime Minister; the test adds a nominee on hold, a ledger export waiting
for the worker and one that failed, and a signed decision whose certificates are still being
printed. The pages are read at a desk's width, then a few at a phone's, where the header's menu
is closed and tables are cards. The administrator's pages are
Django's admin (templates/admin/base_site.html adds the site's rules). The API's Swagger page
(/api/docs/, a developers' tool drawn by its own script) is not checked."""

from pathlib import Path

import pytest
from django.conf import settings
from selenium.webdriver.common.by import By

from approvals.models import BallotSession, Decision
from consultations.models import Consultation
from demo.world import World, seed_demo
from documents import services as documents
from dossiers.models import Dossier, Nominee
from tests.browser import chromium, needs_browser, sign_in
from tests.pages import ledger_export_jobs
from workflows import services as wf

pytestmark = [pytest.mark.django_db(transaction=True), needs_browser]

AXE = Path(settings.BASE_DIR) / "static" / "vendor" / "axe-core-4.14.1" / "axe.min.js"
SHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots" / "accessibility"
FAILING = {"serious", "critical"}
# The violations axe finds, each with its impact and the first few elements it names.
RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ["violations"]}).then(function (results) {
  done(results.violations.map(function (v) {
    return {id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(function (n) { return n.target.join(" "); })};
  }));
}, function (error) {
  done([{id: "axe-error", impact: "critical", help: String(error), nodes: []}]);
});
"""


def _dossier(title: str) -> int:
    return Dossier.objects.get(title=title).pk


def more_states() -> dict[str, int]:
    """What the demo world does not hold and some pages show: a nominee on hold (the dossier
    page's release form), a ledger export waiting for the worker and one that failed (the job's
    page), and a signed decision whose certificates the worker has not printed yet (with
    CERTIFICATES_INLINE_MAX at 0 and nothing sent to the worker: the test's `settings`)."""
    world = World()
    notice = Dossier.objects.get(title="[demo] Chiến sĩ thi đua toàn quốc — đang đăng tải (TLDLD)")
    held = notice.nominees.order_by("pk").first()
    wf.nominee_act(
        actor=world.user("board-officer"), dossier=notice, nominee=held.pk, action="hold",
        payload={"reason_code": "complaint", "reason": "Có đơn khiếu nại cần xác minh"},
    )  # fmt: skip
    inspector = world.user("inspector")
    waiting, failed = ledger_export_jobs(inspector, "Không ghi được tệp xuất sổ nhật ký.")
    signed = Decision.objects.filter(state="signed").order_by("pk").first()
    return {"waiting_job": waiting.pk, "failed_job": failed.pk, "signed": signed.pk}


def pages(more: dict[str, int]) -> list[tuple[str | None, str]]:
    """(persona, path): the main pages of each persona in the demo world; None is signed out."""
    returned = _dossier("[demo] Bằng khen TTg — trả lại bổ sung (VHNT)")
    appraisal = _dossier("[demo] Bằng khen TTg — đang thẩm định (MTTQ)")
    notice = _dossier("[demo] Chiến sĩ thi đua toàn quốc — đang đăng tải (TLDLD)")
    batched = _dossier("[demo] Bằng khen TTg — chờ Thủ tướng ký (HND)")
    bloc = BallotSession.objects.filter(state="open", bloc__code="KHOI-CTXH-TW").latest("pk").pk
    council = BallotSession.objects.filter(state="open", council__code="HDTDKT-TW").latest("pk")
    closed = BallotSession.objects.filter(state="closed", bloc__code="KHOI-CTXH-TW").first().pk
    decision = Decision.objects.filter(dossiers__pk=batched).get().pk
    restricted = Nominee.objects.get(dossier_id=appraisal, name="Cán bộ Mặt trận minh họa")
    document = Dossier.objects.get(pk=returned).attachments.order_by("pk").first().pk
    asked = Consultation.objects.get(dossier_id=appraisal, body__code="HY-BHXH").pk
    return [
        (None, "/accounts/login/"),
        (None, "/public/notices/"),
        ("proposer-VHNT", "/"),
        ("proposer-VHNT", "/dossiers/?q=demo&year=2023&ordering=-title"),
        ("proposer-VHNT", f"/dossiers/{returned}/"),
        ("proposer-VHNT", f"/dossiers/{returned}/edit/"),
        ("proposer-VHNT", f"/dossiers/{returned}/documents/"),
        ("proposer-VHNT", f"/dossiers/{returned}/documents/{document}/remove/"),
        ("proposer-VHNT", "/dossiers/new/"),
        ("proposer-VHNT", "/decisions/"),
        ("proposer-VHNT", "/notifications/"),
        ("head-VHNT", f"/dossiers/{returned}/submit/"),
        ("head-VHNT", f"/dossiers/{returned}/withdraw/"),
        ("voter-HCCB", "/"),
        ("voter-HCCB", f"/ballots/{bloc}/"),
        ("voter-MTTQ", f"/ballots/{bloc}/"),
        ("voter-MTTQ", f"/ballots/{bloc}/close/"),
        ("voter-MTTQ", f"/ballots/{closed}/"),
        ("voter-MTTQ", "/ballots/new/"),
        ("council-member-3", f"/ballots/{council.pk}/"),
        ("council-secretary", f"/ballots/{council.pk}/"),  # the meeting's roll call
        ("council-secretary", f"/ballots/{council.pk}/close/"),
        ("board-officer", "/"),
        ("board-officer", "/dossiers/?state=appraisal&assignee=none"),
        ("board-officer", f"/dossiers/{appraisal}/"),
        ("board-officer", f"/dossiers/{notice}/"),  # a nominee on hold, the others' hold forms
        ("board-officer", "/registry/restrictions/"),
        ("board-officer", f"/registry/people/{restricted.person_id}/"),
        ("board-head", "/decisions/new/"),
        ("board-head", f"/decisions/{decision}/"),
        ("board-head", "/reports/"),
        ("pm", "/"),
        ("pm", f"/decisions/{decision}/"),
        ("consult-BHXH", "/"),
        ("consult-BHXH", f"/consultations/{asked}/"),
        ("inspector", "/audit/?q=VHNT"),
        ("inspector", "/audit/verify/"),
        ("inspector", f"/audit/exports/{more['waiting_job']}/"),  # the job's pages
        ("inspector", f"/audit/exports/{more['failed_job']}/"),
        ("inspector", f"/decisions/{more['signed']}/"),
        ("inspector", f"/decisions/{more['signed']}/certificates.pdf"),  # being printed
        ("inspector", "/decisions/public/"),
        ("inspector", f"/dossiers/{batched}/"),
        ("inspector", "/dossiers/999999/"),  # the site's own 404
        ("admin", "/admin/"),
        ("admin", "/admin/dossiers/rolegrant/"),
        ("admin", "/admin/dossiers/organization/"),
    ]


# At a phone's width: the closed menu, the tables as cards, the filters in a column.
PHONE_PAGES = {"/", "/dossiers/?q=demo&year=2023&ordering=-title", "/decisions/new/"}


@pytest.fixture
def browser():
    driver = chromium()
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


def _phone(driver, on: bool) -> None:
    if on:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": False},
        )
    else:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_axe_finds_no_serious_violation_on_the_personas_pages(
    browser, live_server, settings, monkeypatch
):
    seed_demo()  # an earlier test run in a transaction may have emptied the tables
    settings.CERTIFICATES_INLINE_MAX = 0  # every decision's certificates: the worker's
    monkeypatch.setattr(documents, "certificates_enqueue", lambda *args, **kwargs: None)
    more = more_states()
    source = AXE.read_text(encoding="utf-8")
    SHOTS.mkdir(parents=True, exist_ok=True)
    base, current, problems, read = live_server.url, "", [], 0
    for persona, path in pages(more):
        if persona != current:
            browser.delete_all_cookies()
            if persona:
                sign_in(browser, base, persona)
            current = persona or ""
        for phone in (False, True) if path in PHONE_PAGES else (False,):
            _phone(browser, phone)
            browser.get(f"{base}{path}")
            browser.find_element(By.TAG_NAME, "main")
            browser.execute_script(source)
            found = browser.execute_async_script(RUN_AXE)
            read += 1
            name = f"{persona or 'anonymous'}-{path.strip('/').split('?')[0] or 'home'}"
            name = name.replace("/", "_") + ("-phone" if phone else "")
            browser.save_screenshot(str(SHOTS / f"{read:02d}-{name}.png"))
            for v in found:
                if v["impact"] in FAILING:
                    width = "phone" if phone else "desk"
                    problems.append(
                        f"{persona} {path} ({width}): {v['impact']} {v['id']}: {v['help']} "
                        f"at {v['nodes']}"
                    )
        _phone(browser, False)
    assert read >= len(pages(more))
    assert problems == [], "\n".join(problems)
